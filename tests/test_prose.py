"""Numbers stated in the narrative (extract/prose.py → the record's ``figures``).

The sample expectations below were written by reading the five sample texts, before the
extractor was run on them: every quantity stated in parts 1, 5 and 6, as (value, unit).
The legacy paragraphs are written the ways 2008–2018 reports phrase things.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract.api import extract_bytes, extract_file
from extract.labels import chinese_number
from extract.prose import TOPIC_KEYS, find_figures

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
A, APP, REV, LIT, FEE = "active_disclosure", "applications", "reviews", "litigation", "fees"


def sample(stem: str) -> dict:
    return extract_file(SAMPLES / f"{stem}.txt")


def vu(figs: list[dict]) -> Counter:
    return Counter((f["value"], f["unit"]) for f in figs)


def vut(figs: list[dict]) -> list[tuple]:
    return [(f["value"], f["unit"], f["topic"]) for f in figs]


# -- the five samples -------------------------------------------------------------------------

# every quantity stated in the narrative parts, as read by a person: (value, unit)
SAMPLE_FIGURES = {
    "000_4f41a6f9280382a1": [(26, "个"), (3887, "条"), (16, "条"), (8, "条"), (1588, "条"), (178, "条"), (2097, "条"),
                             (372, "条"), (78, "条"), (53, "条"), (159, "条"), (71, "条"), (11, "条"), (25, "件"),
                             (4, "个"), (10, "场"), (60, "人次")],
    "001_f782fbc304cf921a": [(3700, "条"), (9, "个"), (14, "篇"), (3, "个"), (3, "篇"), (20, "件"), (1, "件"), (2, "件"),
                             (18, "件"), (12, "件"), (2, "件"), (2, "件"), (100, "%"), (557, "条"), (3, "期"), (557, "条"),
                             (100, "%"), (0, None)],
    "002_5db7f08e5812622a": [(2, "个"), (2000, "条"), (713, "条"), (5, "件"), (257, "件")],
    "003_fd38466faf71b272": [(2236, "条"), (4, "条"), (6, "条"), (41, "条"), (37, "条"), (200, "条"), (19, "条"), (14, "条"),
                             (21, "条"), (36, "条"), (32, "条"), (4, "条"),
                             (20, "件"), (2, "件"), (1, "件"), (17, "件"), (1, "件"), (0, "件"), (2, "件"), (0, "件"),
                             (17, "件"), (0, "件"), (0, "件"), (0, "件"),
                             (8, "起"), (5, "起"), (0, "起"), (3, "起"), (4, "起"), (3, "起"), (0, "起"), (1, "起"),
                             (2236, "条"), (4, "个"), (25, "个"), (20, "个"), (14, "个")],
    "004_c70031f471a83c81": [(19, "条"), (0, None)],
}

# (value, unit, topic, detail) that must be among the sample's figures
SAMPLE_KEY_FIGURES = {
    "000_4f41a6f9280382a1": [(3887, "条", A, False), (1588, "条", A, True), (25, "件", APP, False),
                             (372, "条", None, False), (78, "条", None, True)],
    "001_f782fbc304cf921a": [(3700, "条", A, False), (20, "件", APP, False), (18, "件", APP, True),
                             (2, "件", REV, False), (100, "%", REV, True), (0, None, FEE, False)],
    "002_5db7f08e5812622a": [(2000, "条", A, False), (713, "条", A, True), (5, "件", APP, False), (257, "件", None, False)],
    "003_fd38466faf71b272": [(2236, "条", A, False), (20, "件", APP, False), (17, "件", APP, True),
                             (8, "起", REV, False), (5, "起", REV, True), (4, "起", LIT, False), (1, "起", LIT, True)],
    "004_c70031f471a83c81": [(19, "条", A, False), (0, None, APP, False)],
}

# numbers in the samples which are not figures: (words around them, the number)
SAMPLE_NOT_FIGURES = {
    "000_4f41a6f9280382a1": [("〔2019〕61号", 61), ("〔2019〕61号", 2019), ("1月1日", 1), ("一对一", 1)],
    "002_5db7f08e5812622a": [("六个部分组成", 6), ("一批群众", 1)],
    "003_fd38466faf71b272": [("八个开封", 8), ("四个全面", 4), ("四张牌", 4), ("十九届", 19), ("十四五", 14),
                             ("两级三版", 2), ("两级三版", 3), ("IPv6", 6)],
    "004_c70031f471a83c81": [("六个部分组成", 6), ("12月31日", 31)],
}


@pytest.mark.parametrize("stem", sorted(SAMPLE_FIGURES))
def test_sample_figures_are_exactly_the_hand_read_ones(stem):
    figs = sample(stem)["figures"]
    assert vu(figs) == Counter(SAMPLE_FIGURES[stem])


@pytest.mark.parametrize("stem", sorted(SAMPLE_KEY_FIGURES))
def test_sample_key_figures_have_their_topic(stem):
    got = {(f["value"], f["unit"], f["topic"], f["detail"]) for f in sample(stem)["figures"]}
    for want in SAMPLE_KEY_FIGURES[stem]:
        assert want in got, want


@pytest.mark.parametrize("stem", sorted(SAMPLE_NOT_FIGURES))
def test_sample_numbers_that_are_not_figures(stem):
    figs = sample(stem)["figures"]
    for words, number in SAMPLE_NOT_FIGURES[stem]:
        assert not [f for f in figs if words in f["text"] and f["value"] == number], words
    years = {2019, 2021, 2022, 2023}
    assert not [f for f in figs if f["value"] in years], "a year came out as a figure"


def test_sample_figures_are_from_the_narrative_and_verbatim():
    rec = sample("001_f782fbc304cf921a")
    assert {f["part"] for f in rec["figures"]} == {"overview", "other"}
    for f in rec["figures"]:
        assert f["text"] in rec["sections"][f["part"]]
    assert json.loads(json.dumps(rec, ensure_ascii=False))["figures"] == rec["figures"]


@pytest.mark.parametrize("stem", ["001_f782fbc304cf921a", "002_5db7f08e5812622a", "003_fd38466faf71b272",
                                  "004_c70031f471a83c81"])
def test_prose_applications_agree_with_the_table(stem):
    """The cross-check the figures allow: 一、总体情况 says how many requests came in."""
    rec = sample(stem)
    headline = next(f for f in rec["figures"] if f["topic"] == APP and not f["detail"])
    assert headline["value"] == rec["applications"]["new_received"]["total"]


# -- legacy prose -----------------------------------------------------------------------------

LEGACY_CASES = [
    ("本年度共主动公开政府信息1234条，其中机构职能类56条、政策法规类300条、规划计划类78条。",
     [(1234, "条", A), (56, "条", A), (300, "条", A), (78, "条", A)]),
    ("全年共受理政府信息公开申请五十六件，其中当面申请三件、网上申请五十件、信函申请三件，已全部按时答复。",
     [(56, "件", APP), (3, "件", APP), (50, "件", APP), (3, "件", APP)]),
    ("2010年，我局共收取检索、复制、邮寄等费用0元。", [(0, "元", FEE)]),
    ("全年共召开新闻发布会4场，发布政策解读十五篇。", [(4, "场", None), (15, "篇", None)]),
    ("召开3场新闻发布会和5场座谈会。", [(3, "场", None), (5, "场", None)]),
    ("在政府信息公开申请的答复中，同意公开的12件，同意部分公开的2件，不予公开的1件（其中涉及国家秘密的1件），信息不存在的3件。",
     [(12, "件", APP), (2, "件", APP), (1, "件", APP), (1, "件", APP), (3, "件", APP)]),
    ("2013年，我局因政府信息公开被申请行政复议1件，经复议维持原答复；被提起行政诉讼一起，目前尚在审理中。",
     [(1, "件", REV), (1, "起", LIT)]),
    ("依申请公开信息共收取复印费35元。", [(35, "元", FEE)]),
    ("依申请公开方面，全年共受理25件，均在法定期限内答复。", [(25, "件", APP)]),
    ("收到行政复议申请两起。", [(2, "起", REV)]),
    ("2011年共公开信息 1,234 条(其中文件类 234 条)。", [(1234, "条", A), (234, "条", A)]),
    ("主动公开政府信息数：1234条。全年主动公开政府信息一千二百三十四条。", [(1234, "条", A), (1234, "条", A)]),
    ("本单位从事政府信息公开工作的全职人员1人，兼职人员3人。", [(1, "人", None), (3, "人", None)]),
    ("2009年我县共召开会议两次，培训人员120人，发放宣传资料5000余份。",
     [(2, "次", None), (120, "人", None), (5000, "份", None)]),
    ("信息公开工作经费5万元，收取费用共计1.5万元。", [(5, "万元", None), (1.5, "万元", FEE)]),
    ("网站访问量达120万人次，同比增长15.5%，较上年提高3个百分点。",
     [(1200000, "人次", None), (15.5, "%", None), (3, "百分点", None)]),
    ("受理申请56件，办结率100%。", [(56, "件", APP), (100, "%", APP)]),
    ("处理网上留言86条，回复率100%。", [(86, "条", None), (100, "%", None)]),
]


@pytest.mark.parametrize("text,expected", LEGACY_CASES)
def test_legacy_phrasings(text, expected):
    assert vut(find_figures(text)) == expected


NOT_FIGURES = [
    "本报告中所列数据的统计期限自2010年1月1日起至2010年12月31日止。",
    "二〇一〇年一月十九日",
    "根据《条例》第二十条、二十一条规定，依据豫政办〔2009〕12号文件精神，按照第1、2、3条执行。",
    "（一）主动公开情况。一是加强领导；二是完善制度。1.机构职能；2、法规文件。",
    "咨询电话：0371-65501234，邮编：450000，传真：65749665，地址：中山路1号。",
    "开通12345热线，推进IPv6改造，建设5G网络。",
    "深刻领悟两个确立的决定性意义，增强四个意识，坚定四个自信，做到两个维护，推行行政执法三项制度。",
    "以建设“八个开封”为着力点，协调推进“四个全面”战略布局，持续打好“四张牌”。",
    "印发《关于做好30条措施落实工作的通知》。",
    "数十条建议，十几件事，三五个人，若干项，3至5个工作日内答复，10-15条。",
    "切实解决了一批群众反映强烈的问题，实现最多跑一次，推进一网通办，千家万户。",
    "本报告由概述、主动公开政府信息情况等六个部分组成。",
    "全文包括概述，依申请公开情况，存在的主要问题及改进措施6个部分。",
    "2012年是《条例》实施的第四年，较2011年又前进了第三名。",
    "身份号码410102198001011234件",
    "对同一条政府信息重复申请的不再处理，每一件申请都按时答复。",  # 一 in 同一, 每一 is no count
]


@pytest.mark.parametrize("text", NOT_FIGURES)
def test_not_figures(text):
    assert find_figures(text) == []


@pytest.mark.parametrize("text,label", [
    ("全年共主动公开政府信息1234条。", "主动公开政府信息"),
    ("2010年，我局共计收到政府信息公开申请20件。", "收到政府信息公开申请"),
    ("召开4场新闻发布会。", "召开新闻发布会"),  # the noun after the count
    ("今年我区共收到5件依申请公开事项，均已答复。", "收到依申请公开事项"),
    ("受理申请20件，其中当面申请3件。", "当面申请"),
    ("主动公开政府信息数：1234条。", "主动公开政府信息数"),
    ("维持具体行政行为5起。", "维持具体行政行为"),
    ("主动公开信息近百条。", "主动公开信息"),
])
def test_labels(text, label):
    assert find_figures(text)[-1]["label"] == label


def test_round_figures_are_flagged_vague_ones_dropped():
    figs = find_figures("发布信息3700余条，近百条，百余件，2000多条，约50人，80篇左右，数十条，几百件。")
    assert [(f["value"], f["unit"], f["approx"]) for f in figs] == [
        (3700, "条", True), (100, "条", True), (100, "件", True), (2000, "条", True), (50, "人", True),
        (80, "篇", True)]


def test_wan_counts_are_multiplied_out_money_keeps_its_unit():
    figs = find_figures("累计公开政府信息2.3万条，上线三万余件，收费1.25万元，300余万元资金。")
    assert [(f["value"], f["unit"]) for f in figs] == [(23000, "条"), (30000, "件"), (1.25, "万元"), (300, "万元")]


def test_cumulative_totals_are_flagged():
    figs = find_figures("截至2010年底，公开政府信息8万条。本年度主动公开政府信息1200条。")
    assert [(f["value"], f["cumulative"]) for f in figs] == [(80000, True), (1200, False)]


def test_a_list_after_qizhong_carries_the_headline_topic_into_the_next_sentence():
    figs = find_figures("共收到政府信息公开申请20件。其中属于已主动公开范围1件，同意公开0件。")
    assert [(f["value"], f["topic"], f["detail"]) for f in figs] == [(20, APP, False), (1, APP, True), (0, APP, True)]


def test_a_review_inside_a_list_of_applications_is_a_headline_of_its_own():
    figs = find_figures("共受理申请20件。其中法人申请2件；行政复议2件，全部维持，胜诉率100%。")
    assert [(f["value"], f["unit"], f["topic"], f["detail"]) for f in figs] == [
        (20, "件", APP, False), (2, "件", APP, True), (2, "件", REV, False), (100, "%", REV, True)]


# -- zeros stated in words -----------------------------------------------------------------------

NEGATIONS = [
    ("本年度未发生因政府信息公开引起的行政复议和行政诉讼。", [REV, LIT]),
    ("全年未发生因政府信息公开申请提起的行政复议、行政诉讼案件。", [REV, LIT]),
    ("没有因政府信息公开申请引起的行政复议和行政诉讼，也没有收取任何费用。", [REV, LIT, FEE]),
    ("依申请公开政府信息未收取任何费用。", [FEE]),
    ("2022年我局未收到政府信息依申请公开事项。", [APP]),
    ("目前我乡尚未收到政府信息公开申请。", [APP]),
    ("2014年,我镇没有依申请公开政府信息办理事项。", [APP]),
    ("全年政府信息公开工作无收费。全年无行政复议案件。", [FEE, REV]),
    ("行政复议、行政诉讼和申诉情况：无。", [REV, LIT]),
    ("我局未收到行政复议申请。", [REV]),
]


@pytest.mark.parametrize("text,topics", NEGATIONS)
def test_a_stated_zero_is_a_zero_flagged_as_negation(text, topics):
    figs = find_figures(text)
    assert [f["topic"] for f in figs] == topics
    assert all(f["value"] == 0 and f["unit"] is None and f["negation"] for f in figs)


@pytest.mark.parametrize("text", [
    "部分单位信息没有及时公开，未及时更新。",  # a complaint, not a count
    "未发生与诉讼有关的费用支出。",  # spending, not lawsuits or fees charged
    "申请人无正当理由逾期不补正的，不再处理。",
    "对未公开的信息进行梳理。",
])
def test_negative_words_that_state_no_zero(text):
    assert find_figures(text) == []


def test_a_zero_printed_as_a_number_is_not_a_negation():
    figs = find_figures("行政复议、行政诉讼均为0。收取费用0元。")
    got = [(f["topic"], f["value"], f["negation"]) for f in figs]
    assert got == [(REV, 0, False), (LIT, 0, False), (FEE, 0, False)]


# -- a legacy report end to end -----------------------------------------------------------------

LEGACY_REPORT = """郑州市某某区人民政府2010年政府信息公开工作年度报告
根据《中华人民共和国政府信息公开条例》规定，现公布2010年度我区政府信息公开工作年度报告。
本报告中所列数据的统计期限自2010年1月1日起至2010年12月31日止。如对本报告有任何疑问，请联系：区政府办公室，电话：0371-62345678，邮编：450000。
一、概述
2010年，我区认真贯彻落实《条例》和省、市有关文件精神，进一步健全工作机制。
二、主动公开政府信息情况
（一）公开数量。本年度共主动公开政府信息1,856条，其中机构职能类86条、法规文件类312条、规划计划类45条、业务工作类1413条。
（二）公开形式。在区档案馆、图书馆设立政府信息公开查阅点2个，接待群众查阅三百余人次。
三、依申请公开政府信息情况
本年度共受理政府信息公开申请二十三件，其中当面申请5件、网上申请15件、信函申请3件。已办结23件，办结率100%。在已答复的申请中，同意公开19件，不予公开2件。
四、政府信息公开的收费及减免情况
本年度未收取任何费用。
五、因政府信息公开申请行政复议、提起行政诉讼的情况
全年未发生因政府信息公开申请提起的行政复议和行政诉讼案件。
六、存在的主要问题和改进措施
一是公开内容不够全面；二是部分单位公开不及时。2011年，我们将进一步改进。
"""


def test_legacy_report_keeps_its_numbers():
    rec = extract_bytes(LEGACY_REPORT.encode("utf-8"))
    assert rec["template"] == "legacy" and rec["applications"] is None
    figs = rec["figures"]
    by = [(f["part"], f["value"], f["unit"], f["topic"], f["detail"]) for f in figs]
    assert by == [
        ("active_disclosure", 1856, "条", A, False),
        ("active_disclosure", 86, "条", A, True), ("active_disclosure", 312, "条", A, True),
        ("active_disclosure", 45, "条", A, True), ("active_disclosure", 1413, "条", A, True),
        ("active_disclosure", 2, "个", None, False), ("active_disclosure", 300, "人次", None, False),
        ("applications", 23, "件", APP, False),
        ("applications", 5, "件", APP, True), ("applications", 15, "件", APP, True), ("applications", 3, "件", APP, True),
        ("applications", 23, "件", APP, True), ("applications", 100, "%", APP, True),
        ("applications", 19, "件", APP, True), ("applications", 2, "件", APP, True),
        # 四、…收费及减免情况 is not one of the six part headings: it stays under part 3
        ("applications", 0, None, FEE, False),
        ("reviews", 0, None, REV, False), ("reviews", 0, None, LIT, False),
    ]
    # the question a researcher asks: applications received, per legacy report
    received = [f["value"] for f in figs if f["topic"] == APP and not f["detail"]]
    assert received[0] == 23


def test_templated_report_reads_only_the_narrative_parts():
    rec = sample("000_4f41a6f9280382a1")
    assert {f["part"] for f in rec["figures"]} <= {"overview", "problems", "other"}
    assert not [f for f in rec["figures"] if "本年制发件数" in f["text"]]


# -- Chinese numerals ------------------------------------------------------------------------------

@pytest.mark.parametrize("text,value", [
    ("三", 3), ("十", 10), ("十二", 12), ("二十", 20), ("五十六", 56), ("一百零五", 105), ("一百二十三", 123),
    ("两千", 2000), ("三万五千", 35000), ("一百二", 120), ("十万", 100000), ("一千零五", 1005), ("零", 0), ("两", 2),
])
def test_chinese_number(text, value):
    assert chinese_number(text) == value


@pytest.mark.parametrize("text", ["二〇二二", "三五", "十四五", "一两", "百十", "", "件", "一二三", "零零"])
def test_chinese_number_refuses_what_is_not_one_numeral(text):
    assert chinese_number(text) is None


# -- properties ------------------------------------------------------------------------------------

_PROSE_CHARS = ("0123456789０１２３一二两三十百千万亿零〇余多近约第年月日号件条个次起元万元%％，,。；;：:（）()“”\"《》〔〕"
                "其中共累计主动公开政府信息申请受理行政复议诉讼收取费用未发生没有无为均各 -—至\n")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.text(alphabet=_PROSE_CHARS, max_size=300)))
def test_any_text_gives_a_list_of_verbatim_figures(text):
    figs = find_figures(text)
    assert isinstance(figs, list)
    for f in figs:
        assert f["text"] and f["text"] in text
        assert isinstance(f["value"], (int, float)) and not isinstance(f["value"], bool)
        assert f["topic"] in TOPIC_KEYS or f["topic"] is None
        assert not f["negation"] or f["value"] == 0
        json.dumps(f, ensure_ascii=False)


@settings(max_examples=200, deadline=None)
@given(st.integers(1990, 2099), st.integers(1, 12), st.integers(1, 31), st.integers(1, 999),
       st.sampled_from(["", " "]))
def test_dates_document_numbers_and_articles_never_come_out(year, month, day, n, sp):
    cn = "零一二三四五六七八九"
    text = (f"{year}{sp}年{sp}{month}{sp}月{sp}{day}{sp}日，豫政办〔{year}〕{n}号，[{year}]{n}号，"
            f"第{n}条，第{n}次，第{cn[n % 10]}条、{cn[month % 10]}条，电话：0371-{year}{n:04d}，"
            f"{''.join(cn[int(c)] for c in str(year))}年。")
    assert find_figures(text) == []
