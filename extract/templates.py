"""The national report templates as data.

Nothing else in nianbao spells a template label.  Each template lists, per
table, its rows (key, printed label, the phrases that identify the row in the
wild) and its columns (key, label).  The matcher in :mod:`extract.tables`,
the checks, the renderer of test fixtures and the archive's lookup tables all
read these definitions.

* 2021 template — 国办公开办函〔2021〕30号, reports on 2021 and later.
* 2019 template — 国办公开办函〔2019〕60号, reports on 2019 and 2020.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # phrases that identify the column in a header row
    cues: tuple[str, ...] = ()
    # "int" or "decimal" (万元 amounts keep up to 4 decimals)
    kind: str = "int"


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    # Identifying phrases, compared after :func:`extract.labels.normalize`.
    # A row matches when one of them is contained in the row's label text.
    cues: tuple[str, ...]
    # the printed numbering, e.g. ("三", "三", 1) for 三（三）1.; used when text is garbled
    number: tuple[str, ...] = ()
    # for part 2: which measure columns the row carries
    measures: tuple[str, ...] = ()
    # label of the group row printed above this one in the template, if any
    group: str | None = None


@dataclass(frozen=True)
class TableSpec:
    name: str  # active_disclosure | applications | reviews
    rows: tuple[Row, ...]
    columns: tuple[Column, ...]

    def row(self, key: str) -> Row:
        return next(r for r in self.rows if r.key == key)

    @property
    def row_keys(self) -> list[str]:
        return [r.key for r in self.rows]

    @property
    def column_keys(self) -> list[str]:
        return [c.key for c in self.columns]


@dataclass(frozen=True)
class Template:
    version: str  # "2021" | "2019"
    title: str
    active_disclosure: TableSpec
    applications: TableSpec
    reviews: TableSpec
    # application rows that are handling results (三（一）…（六）) summing to `total`
    result_rows: tuple[str, ...] = field(default=())

    def table(self, name: str) -> TableSpec:
        return getattr(self, name)


# --- Part 3: requests received and handled (shared by both templates but for 三（六）) ---

APPLICANT_COLUMNS = (
    Column("natural_person", "自然人", ("自然人",)),
    Column("commercial", "商业企业", ("商业企业",)),
    Column("research", "科研机构", ("科研机构",)),
    Column("social_welfare", "社会公益组织", ("社会公益组织", "公益组织")),
    Column("legal_service", "法律服务机构", ("法律服务机构", "法律服务")),
    Column("other_org", "其他", ("其他",)),
    Column("total", "总计", ("总计", "合计")),
)

_APP_HEAD = (
    Row("new_received", "一、本年新收政府信息公开申请数量", ("本年新收", "新收政府信息公开申请", "本年收到"), ("一",)),
    Row("carried_over", "二、上年结转政府信息公开申请数量", ("上年结转",), ("二",)),
    Row("granted", "（一）予以公开", ("予以公开",), ("三", "一"), group="三、本年度办理结果"),
    Row("partially_granted", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", ("部分公开",), ("三", "二"), group="三、本年度办理结果"),
)
_APP_DENIED = tuple(
    Row(key, f"{i}.{label}", cues, ("三", "三", str(i)), group="（三）不予公开")
    for i, (key, label, cues) in enumerate(
        [
            ("denied_state_secret", "属于国家秘密", ("国家秘密",)),
            ("denied_law_forbidden", "其他法律行政法规禁止公开", ("法规禁止公开", "禁止公开")),
            ("denied_safety_stability", "危及“三安全一稳定”", ("三安全一稳定", "危及")),
            ("denied_third_party", "保护第三方合法权益", ("第三方",)),
            ("denied_internal_affairs", "属于三类内部事务信息", ("内部事务",)),
            ("denied_process_info", "属于四类过程性信息", ("过程性",)),
            ("denied_enforcement_file", "属于行政执法案卷", ("执法案卷",)),
            ("denied_admin_query", "属于行政查询事项", ("行政查询",)),
        ],
        start=1,
    )
)
_APP_UNABLE = tuple(
    Row(key, f"{i}.{label}", cues, ("三", "四", str(i)), group="（四）无法提供")
    for i, (key, label, cues) in enumerate(
        [
            ("unable_no_info", "本机关不掌握相关政府信息", ("不掌握",)),
            ("unable_need_creation", "没有现成信息需要另行制作", ("另行制作", "没有现成")),
            ("unable_unclear", "补正后申请内容仍不明确", ("仍不明确", "补正后")),
        ],
        start=1,
    )
)
_APP_REJECTED = tuple(
    Row(key, f"{i}.{label}", cues, ("三", "五", str(i)), group="（五）不予处理")
    for i, (key, label, cues) in enumerate(
        [
            ("rejected_petition", "信访举报投诉类申请", ("信访", "举报投诉")),
            ("rejected_duplicate", "重复申请", ("重复申请",)),
            ("rejected_publication", "要求提供公开出版物", ("公开出版物", "出版物")),
            ("rejected_excessive", "无正当理由大量反复申请", ("大量反复",)),
            ("rejected_confirmation", "要求行政机关确认或重新出具已获取信息", ("重新出具", "确认或")),
        ],
        start=1,
    )
)
_APP_OTHER_2021 = (
    Row("other_no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        ("逾期不补正", "不补正"), ("三", "六", "1"), group="（六）其他处理"),
    Row("other_no_fee", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        ("缴纳费用", "收费通知"), ("三", "六", "2"), group="（六）其他处理"),
    Row("other_misc", "3.其他", ("其他",), ("三", "六", "3"), group="（六）其他处理"),
)
_APP_OTHER_2019 = (Row("other", "（六）其他处理", ("其他处理", "其他"), ("三", "六")),)
_APP_TAIL = (
    Row("total", "（七）总计", ("总计", "合计"), ("三", "七")),
    Row("carried_forward", "四、结转下年度继续办理", ("结转下年度", "下年度继续办理", "继续办理"), ("四",)),
)


def _applications(other_rows: tuple[Row, ...]) -> TableSpec:
    return TableSpec(
        "applications",
        _APP_HEAD + _APP_DENIED + _APP_UNABLE + _APP_REJECTED + other_rows + _APP_TAIL,
        APPLICANT_COLUMNS,
    )


# --- Part 4: appeals and lawsuits ---

REVIEW_OUTCOMES = (
    Column("upheld", "结果维持", ("维持",)),
    Column("corrected", "结果纠正", ("纠正",)),
    Column("other", "其他结果", ("其他",)),
    Column("pending", "尚未审结", ("尚未审结", "审结")),
    Column("total", "总计", ("总计", "合计")),
)
REVIEWS = TableSpec(
    "reviews",
    (
        Row("reconsideration", "行政复议", ("行政复议",)),
        Row("litigation_direct", "行政诉讼·未经复议直接起诉", ("未经复议", "直接起诉")),
        Row("litigation_after_review", "行政诉讼·复议后起诉", ("复议后起诉", "复议后")),
    ),
    REVIEW_OUTCOMES,
)

# --- Part 2: active disclosure ---

ACTIVE_2021 = TableSpec(
    "active_disclosure",
    (
        Row("regulations", "规章", ("规章",), ("二十", "一"), ("issued", "repealed", "in_force")),
        Row("normative_documents", "行政规范性文件", ("规范性文件",), ("二十", "一"), ("issued", "repealed", "in_force")),
        Row("licensing", "行政许可", ("行政许可",), ("二十", "五"), ("decisions",)),
        Row("penalty", "行政处罚", ("行政处罚",), ("二十", "六"), ("decisions",)),
        Row("coercion", "行政强制", ("行政强制",), ("二十", "六"), ("decisions",)),
        Row("fees", "行政事业性收费", ("事业性收费", "行政事业收费"), ("二十", "八"), ("amount",)),
    ),
    (
        Column("issued", "本年制发件数", ("制发", "新制定", "本年制定")),
        Column("repealed", "本年废止件数", ("废止",)),
        Column("in_force", "现行有效件数", ("现行有效",)),
        Column("decisions", "本年处理决定数量", ("处理决定",)),
        Column("amount", "本年收费金额（万元）", ("收费金额",), "decimal"),
    ),
)
ACTIVE_2019 = TableSpec(
    "active_disclosure",
    (
        Row("regulations", "规章", ("规章",), (), ("new_made", "new_published", "total_published")),
        Row("normative_documents", "规范性文件", ("规范性文件",), (), ("new_made", "new_published", "total_published")),
        Row("licensing", "行政许可", ("行政许可",), (), ("previous_items", "change", "decisions")),
        Row("other_services", "其他对外管理服务事项", ("其他对外管理服务", "对外管理服务"), (), ("previous_items", "change", "decisions")),
        Row("penalty", "行政处罚", ("行政处罚",), (), ("previous_items", "change", "decisions")),
        Row("coercion", "行政强制", ("行政强制",), (), ("previous_items", "change", "decisions")),
        Row("fees", "行政事业性收费", ("事业性收费", "行政事业收费"), (), ("previous_items", "change")),
        Row("procurement", "政府集中采购", ("集中采购", "政府采购"), (), ("projects", "amount")),
    ),
    (
        Column("new_made", "本年新制作数量", ("新制作",)),
        Column("new_published", "本年新公开数量", ("新公开",)),
        Column("total_published", "对外公开总数量", ("对外公开总数", "公开总数")),
        Column("previous_items", "上一年项目数量", ("上一年项目", "上年项目")),
        Column("change", "本年增/减", ("增/减", "增减")),
        Column("decisions", "处理决定数量", ("处理决定",)),
        Column("projects", "采购项目数量", ("采购项目",)),
        Column("amount", "采购总金额（万元）", ("采购总金额", "总金额"), "decimal"),
    ),
)

_RESULTS_COMMON = tuple(r.key for r in _APP_HEAD[2:] + _APP_DENIED + _APP_UNABLE + _APP_REJECTED)

T2021 = Template(
    "2021", "国办公开办函〔2021〕30号", ACTIVE_2021, _applications(_APP_OTHER_2021), REVIEWS,
    _RESULTS_COMMON + tuple(r.key for r in _APP_OTHER_2021),
)
T2019 = Template(
    "2019", "国办公开办函〔2019〕60号", ACTIVE_2019, _applications(_APP_OTHER_2019), REVIEWS,
    _RESULTS_COMMON + ("other",),
)
TEMPLATES = {"2021": T2021, "2019": T2019}
TABLE_NAMES = ("active_disclosure", "applications", "reviews")


def template_for_year(year: int | None) -> str:
    """The template a report on `year` is expected to follow."""
    if year is None or year >= 2021:
        return "2021"
    if year >= 2019:
        return "2019"
    return "legacy"


def measure_kind(template: Template, measure: str) -> str:
    col = next((c for c in template.active_disclosure.columns if c.key == measure), None)
    return col.kind if col else "int"
