"""Numbers stated in the narrative: the record's ``figures`` list.

Reports on 2008–2018 have no template tables; what they say in numbers is in the prose
(本年度共主动公开政府信息1234条，其中……；共受理申请56件……；未发生行政复议和行政诉讼).  Reports
on 2019 and later repeat some of their table figures in 一、总体情况, which is a useful
cross-check.  This module finds such statements of a quantity and returns them as data.

Which text is read
    2019/2021-template reports: the paragraphs of parts 1, 5 and 6 (the record's
    ``sections``: ``overview``, ``problems``, ``other``).  Legacy reports: every paragraph
    (never a table), with ``part`` named after the part heading above it — ``overview``,
    ``active_disclosure`` (二、主动公开…), ``applications`` (三、依申请公开…), ``reviews``
    (复议/诉讼), ``problems``, ``other`` — or ``preamble`` before the first part heading.  Legacy
    headings vary, so ``part`` is coarse (四、收费及减免情况 is no part heading and stays under
    ``applications``); ``topic`` is what says what a number counts.

The record key ``figures`` is a list, in document order, of objects::

    {"part": "overview",          # where the sentence is (above)
     "label": "主动公开政府信息",   # what is counted: the words around the number, tidied
     "value": 1234,               # int, or float for decimals (99.5 %, 1.25 万元)
     "unit": "条",                # as printed (条 件 个 次 起 场 篇 人次 元 万元 % …); null after 为0 / for a negation
     "topic": "active_disclosure",# a key of TOPICS below, or null
     "text": "全年共主动公开政府信息1234条",  # the clause it came from, verbatim
     "approx": false,             # 余 / 多 / 近 / 约 / 逾 / 左右 / 以上: the value is a round figure
     "detail": false,             # part of an earlier headline figure: after 其中 / in （含…）, or a count
                                  # with no words of its own after a headline of the same unit (已办结23件)
     "cumulative": false,         # 累计 / 截至 / 历年: a running total, not the year's count
     "negation": false}           # value 0 read from 未发生 / 未收到 / 没有收取 …, not a printed number

Topics (``TOPICS``, data like the templates): ``active_disclosure`` (主动公开 …条),
``applications`` (依申请公开: 申请 received and their outcomes), ``reviews`` (行政复议),
``litigation`` (行政诉讼), ``fees`` (fees charged for requests: 收费, 信息处理费).  Anything
else (政策解读, 新闻发布会, 培训, 网络舆情 …) has ``topic`` null but is still listed.
"Applications received per legacy report" is the first figure with ``topic ==
"applications"`` and ``detail`` false.

Decisions
    * "未发生行政复议和行政诉讼" yields ``value`` 0 with ``negation`` true, one figure per
      topic named (reviews, litigation).  A report that says so has stated a zero, and a
      researcher must be able to tell it from a report that is silent; the flag keeps the
      two kinds of zero apart.  Only the topics that can be zero by negation do this
      (applications, reviews, litigation, fees — not active disclosure, whose negatives
      are complaints: 部分信息未及时公开), and only after a fixed set of verbs (``NEGATIONS``)
      or a 无 / 没有 right before the thing denied (无收费, 没有依申请公开…事项; not 无法, 没有及时).
    * Round figures (3700余条, 近百条, 百余件) are kept with ``approx`` true; vague ones
      (数十条, 十几件, 三五个, 若干) and ranges (3至5个工作日) are dropped.
    * 万 counts are multiplied out (2.3万条 → 23000, unit 条); money keeps its printed unit
      (元, 万元, 亿元).
    * Not figures: years (2018年, 二〇一八年), dates (1月1日), document numbers (〔2019〕60号),
      ordinals and article numbers (第二十条、二十一条, 第3次), list numbering (（一）, 1.,
      一是), phone and postal numbers, identifiers (IPv6, 12345热线), anything inside
      quotation marks or a book title (“四个全面”, 《…30条措施》), set slogans (两个维护,
      行政执法三项制度) and the template's own sentence (由…六个部分组成).  A bare 一 (一批,
      一次) is a determiner unless the words name a topic (行政复议一起).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Iterator

from .document import Document, Paragraph
from .labels import chinese_number, normalize, parse_number
from .parts import Heading


@dataclass(frozen=True)
class Topic:
    key: str
    label: str
    # Regular expressions searched in the normalised words around a number (the words
    # since the previous number in the clause, and the noun right after the unit).
    cues: tuple[str, ...]
    # any of these in the words: not this topic (行政事业性收费 is published content, not a fee charged)
    excludes: tuple[str, ...] = ()
    # names its own subject even inside a 其中 list of another topic (行政复议 2 件 among applications)
    strong: bool = False
    # these topics, when also named, are what the words are about (因申请引起的行政复议 is a review)
    yields_to: tuple[str, ...] = ()
    # a negative statement (未发生…, 未收到…) is a stated zero for this topic
    negatable: bool = True


TOPICS: tuple[Topic, ...] = (
    Topic("litigation", "行政诉讼", (r"行政诉讼", r"诉讼", r"起诉", r"应诉"), excludes=("支出",), strong=True),
    Topic("reviews", "行政复议", (r"行政复议", r"复议"), strong=True),
    Topic("fees", "收费", (r"收取[^，,；;。]{0,8}费", r"收费", r"处理费", r"检索费", r"复制费", r"邮寄费",
                          r"工本费", r"费用", r"缴费", r"减免"),
          excludes=("行政事业性收费", "收费项目", "收费标准", "收费目录", "收费清单", "收费依据", "经费",
                    "补贴", "补助", "资金", "财政", "预算", "决算", "采购", "支出"),
          strong=True),
    Topic("applications", "依申请公开", (r"申请", r"来函"),
          excludes=("许可", "审批", "低保", "救助", "补贴", "补助", "专利", "资金", "项目申请", "贷款",
                    "入学", "落户", "赔偿", "解读", "人大", "政协", "提案", "建议",
                    # other channels of contact, counted apart from requests
                    "舆情", "留言", "来电", "来信", "信访", "投诉", "热线", "诉求"),
          yields_to=("reviews", "litigation")),
    Topic("active_disclosure", "主动公开",
          (r"主动公开", r"公开[^，,；;。工作]{0,8}信息", r"发布[^，,；;。工作]{0,8}信息", r"公开[^，,；;。]{0,6}文件",
           r"公开[^，,；;。]{0,4}(政府|政务)?信息"),
          excludes=("申请", "解读", "访谈", "发布会", "上报", "报送", "采用", "舆情"),
          negatable=False),
)
TOPIC_KEYS = tuple(t.key for t in TOPICS)
_TOPIC = {t.key: t for t in TOPICS}
_CUES = {t.key: [re.compile(c) for c in t.cues] for t in TOPICS}

# A negative statement of a count: marker → the topics it can say zero for.
_ANY = ("applications", "reviews", "litigation", "fees")
NEGATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("未发生", _ANY), ("没有发生", _ANY), ("没有因", _ANY), ("没有被", _ANY), ("未出现", _ANY), ("没有出现", _ANY), ("未产生", _ANY),
    ("没有产生", _ANY), ("未有", _ANY), ("未因", _ANY), ("未被", _ANY), ("未曾", _ANY),
    ("未收到", ("applications", "reviews", "litigation")), ("没有收到", ("applications", "reviews", "litigation")),
    ("未接到", ("applications", "reviews", "litigation")), ("没有接到", ("applications", "reviews", "litigation")),
    ("未受理", ("applications", "reviews", "litigation")), ("没有受理", ("applications", "reviews", "litigation")),
    ("未收取", ("fees",)), ("没有收取", ("fees",)), ("不收取", ("fees",)), ("免收", ("fees",)),
)
# 无 / 没有 are a negation only right before the thing they deny (无行政复议, 没有收费, 没有依申请公开…)
# — 无法, 无正当理由, 没有及时更新 are not.
_BARE_NO = re.compile(r"(?:(?:^|[^无])无|没有)(?:因[^，,；;。]{0,24}?|依|涉及|发生|任何)?(?=" + "|".join(
    c for t in TOPICS if t.negatable for c in t.cues) + ")")

# …情况：无 / 均无 / 为无 at the end of a clause
_NONE_AT_END = re.compile(r"(?:[:：]|均|为|皆|都)无$")

# Counting words, longest first, each with the characters that may not follow it
# (条例 is a law, 元旦 a holiday, 通知 a notice: the number before them is no count).
UNITS: tuple[tuple[str, str], ...] = (
    ("个工作日", ""), ("个百分点", ""), ("百分点", ""), ("工作日", ""), ("个月", ""),
    ("人次", ""), ("件次", ""), ("条次", ""), ("场次", ""), ("篇次", ""), ("个次", ""), ("户次", ""),
    ("批次", ""), ("万元", ""), ("亿元", ""), ("小时", ""), ("分钟", ""), ("大类", ""),
    ("元", "旦"), ("个", "体"), ("件", ""), ("条", "例"), ("项", "目"), ("次", "序"), ("起", "草来止"),
    ("场", "所景"), ("篇", "章幅"), ("期", "间限满待望"), ("份", "额"), ("家", "庭属长乡"),
    ("人", "民大社员才口类身事格均们工"), ("名", "称单义录额"), ("批", "复准示评转"), ("轮", ""),
    ("类", "似别型"), ("天", "然津气"), ("户", "籍口外"), ("所", "属有以在谓"), ("册", ""), ("卷", ""),
    ("套", ""), ("宗", "旨教"), ("封", "闭存"), ("通", "知过报道讯用信畅行达办"), ("张", "贴榜力"),
    ("例", "如外"), ("位", "置于"), ("%", ""), ("％", ""),
)
_UNIT_RE = "|".join(
    re.escape(u) + (f"(?![{re.escape(g)}])" if g else "") for u, g in UNITS)

_S = r"[ \t\u00a0\u3000]*"
_AR = r"[0-9０-９]{1,3}(?:,[0-9]{3})+(?:[.．][0-9０-９]+)?|[0-9０-９]+(?:[.．][0-9０-９]+)?"
_CN_CHARS = "零〇两一二三四五六七八九十百千万亿"
_CN = f"[{_CN_CHARS}]+"
_QTY = re.compile(
    rf"百分之{_S}(?P<pct>{_AR}|[零〇两一二三四五六七八九十百千]+)"
    rf"|(?P<num>{_AR}|{_CN}){_S}(?P<mult>[万亿](?!元))?{_S}(?P<approx>余|多|来)?{_S}(?P<mult2>[万亿](?=元))?{_S}"
    rf"(?P<unit>{_UNIT_RE})(?P<after>{_S}(?:左右|以上|上下|有余))?"
    # a number with no unit is a figure only as the value of 为 at the end of a clause: 均为0, 为零
    rf"|(?<=为){_S}(?P<bare>{_AR}|零)(?={_S}(?:$|[，,；;。！!？?）)\]】、]))"
)

_SENTENCE_END = re.compile(r"[。！？!?\n]")
# clause boundaries; an ASCII comma between digits groups thousands (1,234) and is kept
_CLAUSE_CUT = re.compile(r"[，；;（）()【】\[\]]|(?<![0-9]),|,(?![0-9]{3}(?![0-9]))")
_OPENERS = "（(【["
_SHIELDS = (re.compile(r"“[^“”\n]{0,60}”"), re.compile(r"‘[^‘’\n]{0,60}’"), re.compile(r"「[^「」\n]{0,60}」"),
            re.compile(r"『[^『』\n]{0,60}』"), re.compile(r"《[^《》\n]{0,120}》"), re.compile(r"〈[^〈〉\n]{0,120}〉"),
            re.compile(r"[〔［\[][^〔〕［］\[\]\n]{0,12}[〕］\]]"))
# set slogans that read like counts
SLOGANS: tuple[str, ...] = (
    "两个确立", "两个维护", "四个意识", "四个自信", "四个全面", "三个代表", "两个一百年", "三个务必", "四个伟大",
    "两个结合", "两个大局", "四个着力", "三项制度", "四张牌", "五个必由之路", "三个有利于", "两个毫不动摇",
)
# the template's own sentence about the report's layout (由……六个部分组成)
BOILERPLATE = (re.compile(r"^部分(?:内容)?(?:组成|构成|[。，,；;:：]|$)"),)

_MAX_DIGITS = 12  # longer digit runs are identifiers (ID card, account numbers), not counts
_REACH = 80  # how far before a number its words are looked for
_DETAIL_START = re.compile(r"^(?:其中|包括|包含|含|内含|分别为|具体为|具体是)")
_CUMULATIVE = re.compile(r"累计|截至|截止|累积|历年|以来|总量")
_APPROX_BEFORE = re.compile(r"(?:近|约|逾|超过|将近|接近|大约|多达|达近)$")
_APPROX_WORD = re.compile(r"(?:近|约|逾|超过|将近|接近|大约|多达|达近|上|成)$")  # not part of the label
_VAGUE_BEFORE = re.compile(r"(?:数|几|若干|好几|多)$")
_ORDINAL_BEFORE = re.compile(r"第$|第[零〇一二两三四五六七八九十百千0-9０-９]+(?:[条款项章节目号]?[、，,和及与至或][零〇一二两三四五六七八九十百千0-9０-９]*)+$")
_RANGE_BEFORE = re.compile(r"[0-9０-９零〇一二两三四五六七八九十百千万][个件条项次名人]?[-－~～至到—–]$")
_RANGE_AFTER = re.compile(rf"^{_S}[-－~～至到—–]{_S}[0-9０-９零〇一二两三四五六七八九十]")
_WORD_BEFORE = re.compile(r"[A-Za-z_\-－/＿@#]$|[0-9][.．]$")
# characters that make 一 part of a word (统一, 进一步, 唯一) rather than a count
_ONE_IN_WORD = set("统唯同进之万第逐单专均划整归某每任")

_LIST_MARK = re.compile(r"^(?:\(?[一二三四五六七八九十0-9]+\)|[一二三四五六七八九十]+是|[一二三四五六七八九十0-9]+[、.])+")
_TIME_LEAD = re.compile(r"^(?:截至|截止|自)?(?:[0-9]{4}年(?:度|底|末|以来)?|今年(?:以来)?|全年|本年度?|当年|年内|上半年|下半年|去年|上年)")
_TOTAL_WORD = re.compile(r"共计|共|累计|合计|总计|全年")
_LEAD_FILLER = re.compile(r"^(?:其中|另外|另|并|还|已经|已|均|对|有|为|和|及|与|、|包括|包含|含|通过|在"
                          r"|我(?:办|局|委|区|县|市|镇|乡|厅|院|处|中心|站|所)|本[机单][关位])+")
_TAIL_FILLER = re.compile(r"(?:共计|共|累计|合计|总计|达到|达|约为|约|近|逾|超过|超|计|有|的|均为|(?<![行作认成视])为|是|了|各|均|都|数量|总数|分别|,|、|:)+$")
_SUFFIX_STOP = re.compile(r"的|进行|开展|予以|给予|均|全部|已|并|对|和|及|与|、|，|,|。|实现|共|累计")
# a count right after one of these verbs names its noun after the unit (召开4场新闻发布会)
COUNT_VERBS = re.compile(r"(?:召开|举办|举行|开展|组织|发布|收到|受理|接到|接收到|办理|新增|增加|处理|公开|编制|印发|出台|"
                         r"制定|解决|回复|答复|审核|梳理|培训|接听|设置|开设|建成|建立|整合|关停|更新|上传|录入|完成|"
                         r"参加|制发|废止|清理|撤销|提供|推送|报送|上报|邀请|发放|印制|征集)$")


_Heads = dict[str | None, dict[str, Any]]  # unit → the latest headline figure with that unit


@dataclass
class _Qty:
    start: int  # where the number (or 百分之) begins
    end: int  # end of the whole match (unit and 左右 included)
    value: int | float
    unit: str | None
    approx: bool
    lone_one: bool  # the numeral is a bare 一


# -- numbers ---------------------------------------------------------------------------


def _shielded(text: str) -> bytearray:
    """1 at every position inside quotation marks, a book title or a 〔2019〕 bracket."""
    spans = [m.span() for rx in _SHIELDS for m in rx.finditer(text)]
    quotes = [i for i, ch in enumerate(text) if ch == '"']  # ASCII quotes pair up in order
    spans += [(quotes[i], quotes[i + 1] + 1) for i in range(0, len(quotes) - 1, 2) if quotes[i + 1] - quotes[i] <= 60]
    mask = bytearray(len(text))
    for s, e in spans:
        mask[s:e] = b"\x01" * (e - s)
    return mask


def _arabic(raw: str) -> int | float | None:
    text = normalize(raw).replace("．", ".")
    if len(text.split(".")[0].replace(",", "")) > _MAX_DIGITS:
        return None  # an identifier, not a count
    return parse_number(text)


def _scale(raw: str, factor: int) -> int | float | None:
    """2.3万 → 23000: the printed number times 万/亿, exactly."""
    value = _arabic(raw)
    if value is None:
        return None
    scaled = Decimal(normalize(raw).replace("．", ".").replace(",", "")) * factor
    return int(scaled) if scaled == scaled.to_integral_value() else float(round(scaled, 4))


def _quantities(text: str, start: int, end: int, shielded: bytearray) -> Iterator[_Qty]:
    for m in _QTY.finditer(text, start, end):
        s = m.start()
        if shielded[s]:
            continue
        before = text[max(0, s - 12):s].rstrip(" \t\u00a0\u3000")
        if _WORD_BEFORE.search(text[max(0, s - 2):s]) or _ORDINAL_BEFORE.search(before):
            continue
        if m.group("pct") is not None:
            raw = m.group("pct")
            value = chinese_number(raw) if raw[0] in _CN_CHARS else _arabic(raw)
            if value is None:
                continue
            yield _Qty(s, m.end(), value, "%", bool(_APPROX_BEFORE.search(before)), False)
            continue
        if m.group("bare") is not None:
            raw = m.group("bare")
            value = 0 if raw == "零" else _arabic(raw)
            if value is not None:
                yield _Qty(m.start("bare"), m.end(), value, None, False, False)
            continue
        raw, unit = m.group("num"), m.group("unit")
        num_start = m.start("num")
        if _RANGE_BEFORE.search(before) or _RANGE_AFTER.match(text[m.end():m.end() + 6]):
            continue
        after = normalize(text[m.end():m.end() + 8])
        if any(rx.match(after) for rx in BOILERPLATE):
            continue
        if normalize(text[num_start:m.end() + 6]).startswith(SLOGANS):
            continue
        approx = bool(m.group("approx") or m.group("after") or _APPROX_BEFORE.search(before)
                      or before.endswith(("上", "成")) and raw[0] in "百千万")  # 上千条; but 网上100条 is exact
        if raw[0] in _CN_CHARS:
            if _VAGUE_BEFORE.search(before):
                continue  # 数十条, 几百件, 若干
            if len(raw) == 1 and raw in "百千万亿" and not approx:
                continue  # 千家万户: a bare 千 is an idiom unless rounded (百余条, 近千条)
            if raw[-1] in "万亿" and len(raw) > 1 and unit == "元":
                value = chinese_number(raw[:-1])
                unit = raw[-1] + "元"
            else:
                value = chinese_number(raw)
            if value is None:
                continue
            lone_one = raw == "一"
            if lone_one and before[-1:] in _ONE_IN_WORD:
                continue
        else:
            value = _arabic(raw)
            if value is None:
                continue
            lone_one = False
            mult = m.group("mult") or m.group("mult2")
            if mult and unit == "元":
                unit = mult + "元"
            elif mult:
                value = _scale(raw, 10_000 if mult == "万" else 100_000_000)
                if value is None:
                    continue
        unit = {"％": "%", "个百分点": "百分点"}.get(unit, unit)
        yield _Qty(num_start, m.end(), value, unit, approx, lone_one)


# -- words around a number -----------------------------------------------------------------


def _topic_hits(words: str) -> list[tuple[str, int]]:
    """Topics named in ``words`` (normalised), closest to the end first, with their cue's end."""
    hits: dict[str, int] = {}
    for t in TOPICS:
        if any(x in words for x in t.excludes):
            continue
        ends = [m.end() for rx in _CUES[t.key] for m in rx.finditer(words)]
        if ends:
            hits[t.key] = max(ends)
    for key in list(hits):
        if any(y in hits for y in _TOPIC[key].yields_to):
            del hits[key]
    return sorted(hits.items(), key=lambda kv: (-kv[1], TOPIC_KEYS.index(kv[0])))


def _excluded(words: str) -> set[str]:
    return {t.key for t in TOPICS if any(x in words for x in t.excludes)}


def _suffix(raw: str) -> tuple[str, int]:
    """The noun right after a count (召开4场新闻发布会 → 新闻发布会), cut at the next verb or
    particle, and how many characters of ``raw`` it takes."""
    stop = _SUFFIX_STOP.search(raw)
    taken = raw[:stop.start()] if stop else raw
    words = normalize(taken)
    return (words[:12], len(taken)) if words else ("", 0)


def _label(segment: str, suffix: str) -> str:
    words = normalize(segment)
    for colon in ("：", ":"):
        if colon in words and words.rsplit(colon, 1)[1]:
            words = words.rsplit(colon, 1)[1]
    words = _LIST_MARK.sub("", words)
    for _ in range(3):
        words = _TIME_LEAD.sub("", words).lstrip("，,、")
    totals = list(_TOTAL_WORD.finditer(words))
    if totals and words[totals[-1].end():]:
        words = words[totals[-1].end():]
    for _ in range(3):
        words = _LEAD_FILLER.sub("", words)
        words = _TAIL_FILLER.sub("", words)
    label = words + suffix
    return label[-40:]


def _split(text: str, pattern: re.Pattern[str], start: int, end: int) -> Iterator[tuple[int, int, str]]:
    """(start, end, the boundary character before it) of each piece between matches of pattern."""
    pos, cut = start, ""
    for m in pattern.finditer(text, start, end):
        yield pos, m.start(), cut
        pos, cut = m.end(), m.group()
    yield pos, end, cut


def _figure(part: str | None, label: str, value: int | float, unit: str | None, topic: str | None, clause: str,
            *, approx: bool = False, detail: bool = False, cumulative: bool = False,
            negation: bool = False) -> dict[str, Any]:
    return {"part": part, "label": label, "value": value, "unit": unit, "topic": topic, "text": clause,
            "approx": approx, "detail": detail, "cumulative": cumulative, "negation": negation}


def _negations(clause: str, part: str | None) -> list[dict[str, Any]]:
    """Zeros stated in words: 未发生行政复议和行政诉讼 → a 0 for reviews and one for litigation."""
    words = normalize(clause)
    allowed: set[str] = set()
    for marker, topics in NEGATIONS:
        if marker in words:
            allowed.update(topics)
    if _BARE_NO.search(words) or _NONE_AT_END.search(words):
        allowed.update(_ANY)
    if not allowed:
        return []
    hits = [k for k, _ in _topic_hits(words) if k in allowed and _TOPIC[k].negatable]
    label = _LEAD_FILLER.sub("", _TIME_LEAD.sub("", _LIST_MARK.sub("", words)).lstrip("，,、"))[:40]
    cumulative = bool(_CUMULATIVE.search(words))
    first = {k: min(m.start() for rx in _CUES[k] for m in rx.finditer(words)) for k in hits}
    return [_figure(part, label, 0, None, k, clause, negation=True, cumulative=cumulative)
            for k in sorted(hits, key=first.__getitem__)]


def _sentence(text: str, start: int, end: int, part: str | None, shielded: bytearray,
              carried: _Heads) -> tuple[list[dict[str, Any]], _Heads]:
    """The figures of one sentence, and the paragraph's headline figures so far (latest per unit).

    A count with no words of its own takes the topic of the headline before it with the same
    unit: in its sentence, or after a 其中 in the sentences before (已办结23件 after 受理申请23件).
    """
    lead = _LIST_MARK.sub("", normalize(text[start:end]))
    detail_mode = bool(_DETAIL_START.match(lead))
    # the sentence's headline figures: the latest per unit, and the topics they have named
    heads: _Heads = dict(carried) if detail_mode else {}
    head_topics = {h["topic"] for h in heads.values()}
    out: list[dict[str, Any]] = []
    quiet: list[str] = []  # words of the clauses so far that hold no figure
    since: list[str] = []  # … and of those since the last clause that held one
    last: list[dict[str, Any]] = []  # the sentence's latest figure read from a number
    depth = 0
    for cs, ce, cut in _split(text, _CLAUSE_CUT, start, end):
        if cut and cut in _OPENERS:
            depth += 1
        elif cut and cut in "）)】]" and depth:
            depth -= 1
        clause = text[cs:ce].strip()
        if not clause:
            continue
        in_paren = depth > 0
        if not in_paren and _DETAIL_START.match(_LIST_MARK.sub("", normalize(clause))):
            detail_mode = True  # （含…） details only what is in the brackets
        qtys = list(_quantities(text, cs, ce, shielded))
        prev = cs
        found = 0
        for i, q in enumerate(qtys):
            segment = text[max(prev, q.start - _REACH):q.start]
            suffix, taken = _suffix(text[q.end:min(qtys[i + 1].start if i + 1 < len(qtys) else ce, q.end + 24)])
            if i + 1 < len(qtys) and len(_label(segment, "")) > 2 and not COUNT_VERBS.search(normalize(segment)):
                suffix, taken = "", 0  # 建议3件政协提案5件: the words between belong to the next count
            prev = q.end + taken
            if "其中" in normalize(segment):
                detail_mode = True
            words = normalize(segment) + suffix
            hits = _topic_hits(words)
            banned = _excluded(words)
            if q.lone_one and not hits:
                continue
            if q.unit in ("%", "百分点", None):  # a rate (办结率100%) is of the count right before it
                same_unit = last[-1:]
            elif q.unit in heads:
                same_unit = [heads[q.unit]]
            elif q.unit in carried and not hits:
                same_unit = [carried[q.unit]]
            elif (detail_mode or in_paren) and heads:  # 共计十一大类（其中政府领导231条…）
                same_unit = [list(heads.values())[-1]]
            else:
                same_unit = []
            base = same_unit[-1]["topic"] if same_unit else None
            if base in banned:
                base = None
            if not hits and not same_unit and i == 0:
                for earlier in reversed(quiet[-3:]):  # 依申请公开方面，全年共受理25件
                    found_hits = [h for h in _topic_hits(earlier) if h[0] not in banned]
                    if found_hits:
                        hits = found_hits
                        break
            own = hits[0][0] if hits else None
            distributed = len(hits) > 1 and bool(re.search(r"[均各都]", words[max(p for _, p in hits):]))
            if in_paren or detail_mode:
                if own and _TOPIC[own].strong and own != base:
                    topic, detail = own, False  # 行政复议 2 件 in a list of applications: a headline of its own
                elif base:
                    topic, detail = base, True
                else:
                    topic, detail = own, True
            elif own:
                topic, detail = own, own in head_topics
            elif base:
                topic, detail = base, True
            else:
                topic, detail = None, False
            lead_words = "".join(since)[-_REACH:] + normalize(text[max(cs, q.start - _REACH):q.start])  # 截至…，累计…
            common = dict(approx=q.approx, cumulative=bool(_CUMULATIVE.search(lead_words)))
            label = _label(_APPROX_WORD.sub("", segment.rstrip()) if q.approx else segment, suffix)
            topics = [k for k, _ in sorted(hits, key=lambda h: h[1])] if distributed else [topic]
            for k in topics:
                fig = _figure(part, label, q.value, q.unit, k, clause, detail=detail, **common)
                out.append(fig)
                found += 1
                last = [fig]
                if not detail:
                    heads[q.unit] = fig
                    head_topics.add(k)
        if not found:
            if not qtys:
                out.extend(_negations(clause, part))
            quiet.append(normalize(clause))
            since.append(normalize(clause))
        else:
            since = []
    return out, {**carried, **heads}


def find_figures(text: str, part: str | None = None) -> list[dict[str, Any]]:
    """The quantities stated in a piece of prose (one paragraph, or a whole section)."""
    if not isinstance(text, str) or not text:
        return []
    shielded = _shielded(text)
    out: list[dict[str, Any]] = []
    carried: _Heads = {}
    for start, end, _ in _split(text, _SENTENCE_END, 0, len(text)):
        if text[start:end].strip():
            figs, carried = _sentence(text, start, end, part, shielded, carried)
            out.extend(figs)
    return out


# -- the record ------------------------------------------------------------------------------

PART_NAMES = {1: "overview", 2: "active_disclosure", 3: "applications", 4: "reviews", 5: "problems", 6: "other"}
NARRATIVE_PARTS = (1, 5, 6)  # the template parts written in prose


def _narrative(doc: Document, headings: list[Heading], legacy: bool) -> Iterable[tuple[str, str]]:
    part_at = {h.index: h.part for h in headings}
    current: int | None = None
    for i, block in enumerate(doc.blocks):
        if i in part_at:
            current = part_at[i]
            if not legacy:
                continue
            # a legacy heading is read too: a short sentence (本年度未收到政府信息公开申请。) can pass for one
        if not isinstance(block, Paragraph) or not block.text:
            continue
        if legacy:
            yield (PART_NAMES[current] if current else "preamble"), block.text
        elif current in NARRATIVE_PARTS:
            yield PART_NAMES[current], block.text


def document_figures(doc: Document, headings: list[Heading], template: str | None) -> list[dict[str, Any]]:
    """The record's ``figures``: every paragraph of a legacy report, the narrative parts of others."""
    out: list[dict[str, Any]] = []
    for part, text in _narrative(doc, headings, template == "legacy"):
        out.extend(find_figures(text, part))
    return out
