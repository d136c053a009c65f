"""The templates as data: keys the contract fixes, sum rules that hold together."""
from extract.templates import T2019, T2021, TEMPLATES, template_for_year


def test_application_rows_follow_the_contract():
    keys_2021 = T2021.applications.row_keys
    assert keys_2021[:4] == ["new_received", "carried_over", "granted", "partially_granted"]
    assert {"other_no_correction", "other_no_fee", "other_misc"} <= set(keys_2021)
    assert "other" not in keys_2021
    assert "other" in T2019.applications.row_keys
    assert "other_misc" not in T2019.applications.row_keys
    for t in TEMPLATES.values():
        assert len(t.applications.row_keys) == len(set(t.applications.row_keys))
        assert t.applications.column_keys[-1] == "total"
        assert set(t.result_rows) < set(t.applications.row_keys)
        assert "total" not in t.result_rows


def test_template_by_year():
    assert template_for_year(2023) == "2021"
    assert template_for_year(2020) == "2019"
    assert template_for_year(2019) == "2019"
    assert template_for_year(2015) == "legacy"


def test_a_short_cue_inside_a_garbled_long_label_yields_to_the_close_row():
    """OCR read 禁 as 茜: the label still holds the short cue 其他 (the 其他 row) but is
    plainly the 法律行政法规禁止公开 row; short labels keep their cue's row."""
    from extract.tables import _APP_CUES, match_cell

    assert match_cell("2.其他法律行政法规茜止公开", _APP_CUES).key == "denied_law_forbidden"
    assert match_cell("3.其他", _APP_CUES).key == "other_misc"
    assert match_cell("4.其他原因不能提供", _APP_CUES).key == "other_misc"
    assert match_cell("（七）其他处理", _APP_CUES).key == "other"
    assert match_cell("总计", _APP_CUES).key == "total"
