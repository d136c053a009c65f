"""Synthetic annual-report records for fixtures, the offline replica and benches.

A record is exactly the report record of ``../shared/spec/report-json.md``
(title, year, agency, region, region_code, template, sections, the three
tables, checks) plus two extra keys:

* ``published`` — ``YYYY-MM-DD``, a date in January–March of the year after
  ``year`` (the renderers print it as 发布时间);
* ``_broken`` — only in records made with ``consistent=False``: the name of the
  one check the printed numbers break (``balance``, ``row_totals``,
  ``result_total`` or ``review_totals``).

Checks are **computed** here (:func:`compute_checks`) from the numbers, with
the rules of the spec, independently of the extractor, so tests can compare the
extractor's outcome against an oracle that does not share its code.

Everything is deterministic: :func:`make_record` draws from
``random.Random(seed)`` only.  Agencies and regions come from the project's
Henan registry ``crawler/portals.csv`` (columns code, name, level,
parent_code, homepage are read): every city and county, and per unit its
人民政府, 人民政府办公室, its departments (…局, …委员会) and, for counties,
deterministic plausible township governments (…镇人民政府, …街道办事处).

Public API::

    make_record(seed, *, year=None, agency=None, region=None, region_code=None,
                template=None, consistent=True) -> dict
    make_corpus(n, seed=0, years=range(2019, 2025)) -> list[dict]
    compute_checks(record) -> list[dict]
    units() -> list[Unit]; bodies(unit) -> list[Body]
"""
from __future__ import annotations

import csv
import functools
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from extract.templates import TEMPLATES, Template, template_for_year

UNITS_CSV = Path(__file__).resolve().parents[2] / "crawler" / "portals.csv"
PROVINCE = "河南省"
BROKEN_RULES = ("balance", "row_totals", "result_total", "review_totals")


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Unit:
    """One administrative area of the registry."""

    code: str
    name: str  # short name as in the registry, e.g. 洛龙区
    level: str  # province | city | county
    parent_code: str | None
    homepage: str

    @property
    def is_zone(self) -> bool:
        return self.name.endswith(("开发区", "实验区", "示范区"))


@dataclass(frozen=True)
class Body:
    """A publishing body of a unit: its government, office, a department or a town."""

    agency: str  # canonical full name, city and county included: 洛阳市新安县工业和信息化局
    kind: str  # government | office | department | town
    unit: Unit
    region: str  # e.g. 河南省洛阳市新安县
    region_code: str
    printed: str = ""  # the name as the body prints it in titles: 新安县工业和信息化局

    @property
    def short(self) -> str:
        return self.printed or self.agency


@functools.lru_cache(maxsize=None)
def units() -> tuple[Unit, ...]:
    """All units of the Henan registry (province, 18 cities, their counties)."""
    out = []
    with UNITS_CSV.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = re.sub(r"（.*?）|\(.*?\)", "", row["name"]).strip()
            out.append(Unit(row["code"], name, row["level"], row["parent_code"] or None, row["homepage"]))
    return tuple(out)


@functools.lru_cache(maxsize=None)
def _unit_by_code() -> dict[str, Unit]:
    return {u.code: u for u in units()}


def region_of(unit: Unit) -> str:
    """`河南省洛阳市洛龙区` for a county, `河南省洛阳市` for a city, `河南省` for the province."""
    if unit.level == "province":
        return unit.name
    if unit.level == "city":
        return PROVINCE + unit.name
    parent = _unit_by_code()[unit.parent_code]
    return PROVINCE + parent.name + unit.name


def _agency_prefix(unit: Unit, printed: bool = False) -> str:
    """The unit part of a body's name.  Canonical (the record's `agency`, as the extractor
    completes it): the city and the county, 洛阳市新安县; `printed` (as titles often read):
    the county alone, 新安县.  Zones carry their city in their own name."""
    if unit.level in ("province", "city") or unit.is_zone or printed:
        return unit.name
    return _unit_by_code()[unit.parent_code].name + unit.name


# departments of a people's government; (name, levels that have it)
_DEPARTMENTS = (
    "发展和改革委员会", "教育局", "科学技术局", "工业和信息化局", "公安局", "民政局", "司法局",
    "财政局", "人力资源和社会保障局", "自然资源局", "住房和城乡建设局", "交通运输局", "水利局",
    "农业农村局", "商务局", "文化广电和旅游局", "卫生健康委员会", "退役军人事务局", "应急管理局",
    "审计局", "市场监督管理局", "统计局", "医疗保障局", "城市管理局", "信访局", "林业局",
    "行政审批和政务信息管理局", "机关事务管理局", "人民防空办公室", "粮食和物资储备局",
    "民族宗教事务局", "体育局", "乡村振兴局", "地方金融监督管理局", "大数据管理局",
)
_CITY_ONLY = ("住房公积金管理中心", "生态环境局", "自然资源和规划局", "外事办公室", "国有资产监督管理委员会")
_TOWN_FIRST = "城关东西南北柳杨李王张刘陈黄马白石高龙凤金新双大小古清安平和兴丰宁永福寿长乐"
_TOWN_SECOND = "庄集店寨营桥河沟坡岭湾铺口头屯岗村楼园林山泉店堡坊"
_TOWN_KIND = ("镇", "镇", "镇", "乡", "街道办事处")


def _towns(unit: Unit) -> list[str]:
    """Deterministic, plausible township names for a county (城关镇, 柳庄乡, …)."""
    rng = random.Random("towns" + unit.code)
    names = ["城关镇"] if not unit.name.endswith("区") else []
    while len(names) < rng.randint(9, 18):
        name = rng.choice(_TOWN_FIRST) + rng.choice(_TOWN_SECOND) + rng.choice(_TOWN_KIND)
        if name not in names:
            names.append(name)
    return names


@functools.lru_cache(maxsize=None)
def bodies(unit: Unit) -> tuple[Body, ...]:
    """The publishing bodies of a unit, government and office first."""
    if unit.is_zone:
        names = [("管理委员会", "government"), ("管理委员会办公室", "office")]
    elif unit.level == "province":
        names = [("人民政府", "government"), ("人民政府办公厅", "office")]
    else:
        names = [("人民政府", "government"), ("人民政府办公室", "office")]
    if unit.level == "province":
        names += [(d.replace("局", "厅") if d.endswith("局") and d not in ("统计局", "信访局", "机关事务管理局") else d,
                   "department") for d in _DEPARTMENTS[:24]]
    else:
        depts = list(_DEPARTMENTS)
        if unit.level == "city":
            depts = [d for d in depts if d != "自然资源局"] + list(_CITY_ONLY)
        elif unit.is_zone:
            depts = depts[:12]
        names += [(d, "department") for d in depts]
        if unit.level == "county" and not unit.is_zone:
            names += [(t + ("" if t.endswith("办事处") else "人民政府"), "town") for t in _towns(unit)]
    full, short = _agency_prefix(unit), _agency_prefix(unit, printed=True)
    region = region_of(unit)
    return tuple(Body(full + n, kind, unit, region, unit.code, short + n) for n, kind in names)


@functools.lru_cache(maxsize=None)
def all_bodies() -> tuple[Body, ...]:
    return tuple(b for u in units() for b in bodies(u))


def _find_body(agency: str | None, region_code: str | None, rng: random.Random) -> Body:
    """The body named `agency` (or of area `region_code`), else a random one."""
    if region_code:
        unit = _unit_by_code().get(region_code)
        if unit is None:
            raise ValueError(f"region_code {region_code!r} is not in {UNITS_CSV.name}")
        candidates = bodies(unit)
    else:
        candidates = all_bodies()
    if agency:
        for b in candidates:
            if agency in (b.agency, b.printed):
                return b
        # an agency outside the registry: attach it to the unit whose name it starts with
        for b in sorted(candidates, key=lambda b: -len(_agency_prefix(b.unit))):
            for printed in (False, True):
                if agency.startswith(_agency_prefix(b.unit, printed)):
                    return Body(agency, "department", b.unit, b.region, b.region_code)
        b = rng.choice(candidates)
        return Body(agency, "department", b.unit, b.region, b.region_code)
    # governments and offices publish the reports people look for first: weight them up
    weights = [6 if b.kind in ("government", "office") else 1 for b in candidates]
    return rng.choices(candidates, weights)[0]


# --------------------------------------------------------------------------- numbers


def _request_scale(body: Body, rng: random.Random) -> int:
    """How many new requests the body received this year."""
    level = body.unit.level
    if body.kind == "town":
        return rng.choice((0, 0, 0, 0, 1, 1, 2, 3))
    if body.kind == "department":
        if rng.random() < 0.45:
            return 0
        hi = {"province": 300, "city": 80, "county": 25}[level]
        return int(rng.paretovariate(1.3)) % hi
    if level == "county":  # a county government / office: 0–80
        return min(80, int(rng.paretovariate(0.9)) + rng.randint(0, 12))
    return min(600 if level == "city" else 1500, int(rng.paretovariate(0.7)) + rng.randint(5, 60))


def _split(total: int, weights: list[float], rng: random.Random) -> list[int]:
    """Split `total` into len(weights) non-negative ints, randomly, favouring heavy weights."""
    out = [0] * len(weights)
    if total <= 0:
        return out
    if total <= 64:
        idx = list(range(len(weights)))
        for i in rng.choices(idx, weights, k=total):
            out[i] += 1
        return out
    # big counts: proportional split with jitter, the remainder to the heaviest weight
    raw = [w * rng.uniform(0.6, 1.2) for w in weights]
    s = sum(raw)
    out = [int(total * x / s) for x in raw]
    out[max(range(len(weights)), key=weights.__getitem__)] += total - sum(out)
    return out


# relative frequency of each handling result among requests
_RESULT_WEIGHTS = {
    "granted": 40, "partially_granted": 6,
    "denied_state_secret": 0.2, "denied_law_forbidden": 0.5, "denied_safety_stability": 0.3,
    "denied_third_party": 1.2, "denied_internal_affairs": 1, "denied_process_info": 1.5,
    "denied_enforcement_file": 0.6, "denied_admin_query": 0.6,
    "unable_no_info": 18, "unable_need_creation": 3, "unable_unclear": 1.5,
    "rejected_petition": 3, "rejected_duplicate": 2, "rejected_publication": 0.4,
    "rejected_excessive": 0.6, "rejected_confirmation": 0.6,
    "other_no_correction": 2, "other_no_fee": 0.1, "other_misc": 4, "other": 6,
}
_APPLICANT_WEIGHTS = (80, 12, 0.5, 0.8, 2.5, 4)  # natural person … other orgs


@functools.lru_cache(maxsize=None)
def _keys(version: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(application row keys, application column keys) of a template."""
    spec = TEMPLATES[version].applications
    return tuple(spec.row_keys), tuple(spec.column_keys)


def _applications(t: Template, n_new: int, rng: random.Random) -> dict:
    row_keys, col_keys = _keys(t.version)
    cols = col_keys[:-1]
    results = list(t.result_rows)
    table = {k: dict.fromkeys(col_keys, 0) for k in row_keys}
    if not n_new:
        return table
    new = _split(n_new, list(_APPLICANT_WEIGHTS), rng)
    carried_total = rng.choice((0, 0, 0, 1, 2)) if n_new else 0
    carried = _split(carried_total, list(_APPLICANT_WEIGHTS[:2]) + [0.01] * 4, rng)
    for c, a, b in zip(cols, new, carried):
        table["new_received"][c], table["carried_over"][c] = a, b
        pool = a + b
        fwd = min(pool, rng.choice((0, 0, 0, 0, 0, 1, 1, 2))) if pool else 0
        table["carried_forward"][c] = fwd
        table["total"][c] = pool - fwd
        for key, v in zip(results, _split(pool - fwd, [_RESULT_WEIGHTS[r] for r in results], rng)):
            table[key][c] = v
    for row in table.values():
        row["total"] = sum(row[c] for c in cols)
    return table


def _reviews(t: Template, n_requests: int, rng: random.Random) -> dict:
    out = {}
    for key, rate in (("reconsideration", 0.06), ("litigation_direct", 0.03), ("litigation_after_review", 0.015)):
        n = sum(1 for _ in range(n_requests) if rng.random() < rate) if n_requests < 400 else int(n_requests * rate)
        upheld, corrected, other, pending = _split(n, [6, 1, 1.5, 1.5], rng)
        out[key] = {"upheld": upheld, "corrected": corrected, "other": other, "pending": pending, "total": n}
    return out


def _amount(rng: random.Random, hi: float) -> float | int:
    """A 万元 amount as printed: 0, or up to 4 decimals."""
    if rng.random() < 0.6:
        return 0
    return round(rng.uniform(0.01, hi), rng.choice((1, 2, 4, 4, 4)))


def _active(t: Template, body: Body, rng: random.Random) -> dict:
    level, kind = body.unit.level, body.kind
    can_regulate = kind in ("government", "office") and level in ("province", "city")
    scale = {"province": 20, "city": 6, "county": 2}[level] * (0.3 if kind == "town" else 1)

    def few(hi: float) -> int:
        return 0 if rng.random() < 0.5 else int(rng.uniform(0, hi * scale))

    if t.version == "2021":
        reg_in_force = few(30) if can_regulate else 0
        nd_in_force = few(40)
        return {
            "regulations": {"issued": min(reg_in_force, few(3)) if can_regulate else 0,
                            "repealed": few(1) if can_regulate else 0, "in_force": reg_in_force},
            "normative_documents": {"issued": min(nd_in_force, few(6)), "repealed": few(2), "in_force": nd_in_force},
            "licensing": {"decisions": few(400) if kind != "town" else 0},
            "penalty": {"decisions": few(120)},
            "coercion": {"decisions": few(10)},
            "fees": {"amount": _amount(rng, 500 * scale) if kind == "department" else 0},
        }
    def pub(hi: float) -> dict:
        made = few(hi / 4)
        published = made - 1 if made and rng.random() < 0.2 else made
        return {"new_made": made, "new_published": published, "total_published": made + few(hi)}

    def items(hi: float, decisions: bool = True) -> dict:
        prev = few(hi)
        out = {"previous_items": prev, "change": rng.choice((0, 0, 0, 1, -1, 2)) if prev else 0}
        if decisions:
            out["decisions"] = few(hi * 20)
        return out

    return {
        "regulations": pub(30) if can_regulate else {"new_made": 0, "new_published": 0, "total_published": 0},
        "normative_documents": pub(40),
        "licensing": items(60),
        "other_services": items(30),
        "penalty": items(40),
        "coercion": items(10),
        "fees": items(8, decisions=False),
        "procurement": {"projects": (p := few(12)), "amount": _amount(rng, 800 * scale) if p else 0},
    }


# --------------------------------------------------------------------------- checks


def _ok(name: str, ok: bool, detail: str) -> dict:
    return {"name": name, "ok": bool(ok), "detail": detail}


def compute_checks(record: dict) -> list[dict]:
    """The five checks of the spec, computed from the record's numbers (test oracle)."""
    t = TEMPLATES.get(record.get("template"))
    apps, revs = record.get("applications"), record.get("reviews")
    out = []
    if apps is None or t is None:
        for name in ("balance", "row_totals", "result_total"):
            out.append(_ok(name, False, "申请情况表缺失，无法检查"))
    else:
        rows, cols = _keys(t.version)
        bad = [c for c in cols if apps["new_received"][c] + apps["carried_over"][c]
               != apps["total"][c] + apps["carried_forward"][c]]
        c = bad[0] if bad else "total"
        out.append(_ok("balance", not bad, f"{c}: {apps['new_received'][c]} + {apps['carried_over'][c]}"
                       f" {'≠' if bad else '='} {apps['total'][c]} + {apps['carried_forward'][c]}"))
        bad_rows = [r for r in rows if sum(apps[r][c] for c in cols[:-1]) != apps[r]["total"]]
        out.append(_ok("row_totals", not bad_rows, "行合计不符: " + "、".join(bad_rows) if bad_rows else "各行合计相符"))
        bad_cols = [c for c in cols if sum(apps[r][c] for r in t.result_rows) != apps["total"][c]]
        out.append(_ok("result_total", not bad_cols,
                       "办理结果之和不等于总计: " + "、".join(bad_cols) if bad_cols else "办理结果之和等于总计"))
    if revs is None:
        out.append(_ok("review_totals", False, "复议诉讼表缺失，无法检查"))
    else:
        bad = [g for g, v in revs.items() if v["upheld"] + v["corrected"] + v["other"] + v["pending"] != v["total"]]
        out.append(_ok("review_totals", not bad, "总计不符: " + "、".join(bad) if bad else "各组总计相符"))
    missing = [n for n in ("active_disclosure", "applications", "reviews") if record.get(n) is None]
    out.append(_ok("completeness", not missing, "缺少: " + "、".join(missing) if missing else "三张表齐全"))
    return out


def _break(record: dict, rule: str, t: Template, rng: random.Random) -> None:
    """Alter printed numbers so that exactly `rule` fails and the other sum rules hold."""
    apps = record["applications"]
    if rule == "review_totals":
        g = rng.choice(list(record["reviews"]))
        record["reviews"][g]["upheld"] += 1  # total left as printed
    elif rule == "balance":
        c = next(c for c in t.applications.column_keys[:-1] if apps["new_received"][c]) if apps["new_received"]["total"] else "natural_person"
        apps["carried_forward"][c] += 1  # row stays summed, results untouched
        apps["carried_forward"]["total"] += 1
    elif rule == "result_total":
        r = rng.choice(t.result_rows[:2])
        apps[r]["natural_person"] += 1  # the row still sums, 三（七）总计 no longer equals the results
        apps[r]["total"] += 1
    elif rule == "row_totals":
        # move one unit of `total` between two result rows: columns still sum, two rows don't
        src = next((r for r in t.result_rows if apps[r]["total"] > 0), None)
        if src is None:  # no results printed: raise 一 and 四 together, the balance still holds
            src, dst, step = "new_received", "carried_forward", 1
        else:
            dst, step = next(r for r in t.result_rows if r != src), -1
        apps[src]["total"] += step
        apps[dst]["total"] += 1
    else:
        raise ValueError(f"unknown rule {rule!r}; one of {BROKEN_RULES}")


# --------------------------------------------------------------------------- narrative

_STATUTE = "《中华人民共和国政府信息公开条例》"
_GUIDANCE = ("坚持以习近平新时代中国特色社会主义思想为指导", "在{up}的坚强领导下", "紧紧围绕中心工作",
             "坚持“以公开为常态、不公开为例外”的原则")
_ACTIVE_LINES = (
    "全年通过政府门户网站主动公开各类信息{n}条，其中政策文件{docs}条、政策解读{interp}篇、工作动态{news}条。",
    "{year}年共主动公开政府信息{n}条，发布政策解读{interp}篇，及时更新机构职能、领导信息等基础内容。",
    "围绕财政预决算、重大建设项目、公共资源配置等重点领域，主动公开政府信息{n}条。",
)
_APPLY_LINES = (
    "{year}年共收到政府信息公开申请{new}件，上年结转{carried}件，均已在法定期限内答复，结转下年度继续办理{fwd}件。",
    "全年受理依申请公开{new}件，其中自然人申请{np}件、法人或其他组织申请{org}件，按时办结率100%。",
    "严格落实依申请公开登记、审核、办理、答复、归档制度，{year}年共办理政府信息公开申请{new}件。",
)
_NO_APPLY = ("{year}年未收到政府信息公开申请。", "本年度{short}未收到依申请公开事项。")
_MANAGE = (
    "健全政府信息公开审查机制，严格执行“三审三校”制度，确保公开内容准确规范、安全保密。",
    "动态调整主动公开基本目录，对规范性文件开展清理，及时公布现行有效文件目录。",
    "落实政府信息公开属性源头认定机制，公文拟制时同步明确公开方式。",
)
_PLATFORM = (
    "以政府门户网站为第一平台，优化政府信息公开专栏设置，常态化开展网站和政务新媒体巡查，全年未发生安全事故。",
    "依托政务服务大厅设置政务公开专区，配备查阅设备，为群众提供政府信息查阅和咨询服务。",
    "规范政务新媒体管理，对{accounts}个政务新媒体账号开展季度检查，关停整合更新缓慢账号。",
)
_SUPERVISE = (
    "将政务公开工作纳入年度目标考核，组织业务培训{train}场次，参训人员{people}余人次。",
    "建立社会评议制度，畅通意见建议渠道，本年度未发生因政府信息公开工作引发的责任追究。",
)
_PROBLEMS = (
    "一是政策解读形式还不够丰富，图解、视频等多元化解读较少；二是工作人员业务水平有待提升；三是重点领域信息公开的深度和广度还需拓展。",
    "主要问题：基层政务公开标准化规范化建设仍需加强，部分栏目更新不够及时，依申请公开答复的规范性有待提高。",
    "存在的问题是政务公开专职人员少、流动性大，对新条例的理解和把握不够深入。",
)
_IMPROVE = (
    "下一步，我们将加强业务培训，丰富解读形式，持续推进重点领域信息公开，进一步提升政府信息公开质量和实效。",
    "{next}年，将坚持问题导向，完善工作机制，强化平台建设，及时回应社会关切，推动政务公开工作再上新台阶。",
    "改进措施：一是加强队伍建设；二是规范依申请公开办理流程；三是加大对栏目内容的日常巡查力度。",
)
_OTHER = (
    "无。",
    "本年度未收取信息处理费。",
    "依据《政府信息公开信息处理费管理办法》，本年度未发生收费情况。",
    "{year}年度承办人大代表建议{a}件、政协委员提案{b}件，均已按时办结，办理复文按规定公开。",
    "本机关{year}年度政务公开工作要点落实情况已在门户网站专栏公开。",
)


def _sections(r: dict, body: Body, rng: random.Random) -> dict:
    year, apps = r["year"], r["applications"]
    short = "我局" if body.kind == "department" else ("我镇" if body.kind == "town" else "我办" if body.kind == "office" else "我区")
    up = "市委、市政府" if body.unit.level != "county" else "区委、区政府" if body.unit.name.endswith("区") else "县委、县政府"
    intro = (f"本报告根据{_STATUTE}（以下简称《条例》）和{'国办公开办函〔2021〕30号' if r['template'] == '2021' else '国办公开办函〔2019〕60号'}"
             f"要求编制，由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议、行政诉讼情况、"
             f"存在的主要问题及改进情况、其他需要报告的事项六部分组成。本报告所列数据的统计期限为{year}年1月1日至{year}年12月31日。"
             f"本报告电子版可在{_agency_prefix(body.unit, printed=True)}{'管理委员会' if body.unit.is_zone else '人民政府'}门户网站下载。")
    lead = (f"{year}年，{body.short}{rng.choice(_GUIDANCE).format(up=up)}，认真贯彻落实{_STATUTE}，"
            f"持续深化政务公开，不断提升政府信息公开质量，切实保障人民群众的知情权、参与权、表达权和监督权。")
    n_active = rng.randint(30, 4000)
    active = rng.choice(_ACTIVE_LINES).format(n=n_active, docs=rng.randint(0, 30), interp=rng.randint(0, 40),
                                             news=rng.randint(10, 900), year=year)
    new_total = apps["new_received"]["total"]
    if new_total:
        apply = rng.choice(_APPLY_LINES).format(
            year=year, new=new_total, carried=apps["carried_over"]["total"], fwd=apps["carried_forward"]["total"],
            np=apps["new_received"]["natural_person"], org=new_total - apps["new_received"]["natural_person"])
    else:
        apply = rng.choice(_NO_APPLY).format(year=year, short=short)
    rec = r["reviews"]["reconsideration"]["total"]
    lit = r["reviews"]["litigation_direct"]["total"] + r["reviews"]["litigation_after_review"]["total"]
    if rec or lit:
        apply += f"因政府信息公开引起行政复议{rec}件、行政诉讼{lit}件。"
    overview = [intro, lead,
                "（一）主动公开情况。" + active,
                "（二）依申请公开情况。" + apply,
                "（三）政府信息管理情况。" + rng.choice(_MANAGE),
                "（四）政府信息公开平台建设情况。" + rng.choice(_PLATFORM).format(accounts=rng.randint(1, 9)),
                "（五）监督保障情况。" + rng.choice(_SUPERVISE).format(train=rng.randint(1, 6), people=rng.randint(2, 12) * 10)]
    problems = [f"{year}年，{short}政府信息公开工作取得了一定成效，但仍存在一些不足。" + rng.choice(_PROBLEMS),
                rng.choice(_IMPROVE).format(next=year + 1)]
    other = rng.choice(_OTHER).format(year=year, a=rng.randint(1, 20), b=rng.randint(1, 30))
    return {"overview": "\n".join(overview), "problems": "\n".join(problems), "other": other}


# --------------------------------------------------------------------------- records


def _title_name(body: Body, rng: random.Random) -> str:
    """The name the title prints: districts often with their city (洛阳市洛龙区…), counties
    mostly alone (新安县…) — the record's `agency` is always the full name."""
    if body.short == body.agency:
        return body.agency
    share_full = 0.6 if body.unit.name.endswith("区") else 0.2
    return body.agency if rng.random() < share_full else body.short


def make_record(seed: int, *, year: int | None = None, agency: str | None = None, region: str | None = None,
                region_code: str | None = None, template: str | None = None, consistent: bool = True) -> dict:
    """One synthetic report record, deterministic for `seed` and the keyword arguments.

    * `year` — default: drawn from 2019–2024; `template` defaults to the one for `year`
      ("2021" for 2021 and later, "2019" before) and may be forced.
    * `agency` / `region_code` — default: a body of the Henan registry (named in full or
      as printed); an `agency` not in the registry is attached to the unit its name starts
      with.  The record's `agency` is the full name (洛阳市新安县人民政府办公室); the title
      prints it in full or without the city (新安县人民政府办公室…), as real titles do.  `region` overrides the
      printed region string only.
    * `consistent=False` — the printed numbers break exactly one rule, named in
      ``record["_broken"]``; ``record["checks"]`` then shows that check failing.
    """
    rng = random.Random(seed)
    if year is None:
        year = rng.randint(2019, 2024)
    tpl = template or template_for_year(year)
    if tpl not in TEMPLATES:
        raise ValueError(f"template {tpl!r} has no tables; synthetic records use one of {sorted(TEMPLATES)}")
    t = TEMPLATES[tpl]
    body = _find_body(agency, region_code, rng)
    n_new = _request_scale(body, rng)
    broken = None
    if not consistent:
        broken = rng.choice(BROKEN_RULES)
        n_new = max(n_new, 2)
    rec = {
        "title": f"{_title_name(body, rng)}{year}年政府信息公开工作年度报告",
        "year": year,
        "agency": body.agency,
        "region": region or body.region,
        "region_code": body.region_code,
        "template": tpl,
        "published": f"{year + 1}-{rng.randint(1, 3):02d}-{rng.randint(1, 28):02d}",
        "sections": {},
        "active_disclosure": _active(t, body, rng),
        "applications": _applications(t, n_new, rng),
        "reviews": None,
        "checks": [],
    }
    rec["reviews"] = _reviews(t, n_new, rng)
    rec["sections"] = _sections(rec, body, rng)
    if broken:
        _break(rec, broken, t, rng)
        rec["_broken"] = broken
    rec["checks"] = compute_checks(rec)
    return rec


def corpus_capacity(years: Iterable[int] = range(2019, 2025)) -> int:
    """How many distinct (agency, year) reports :func:`make_corpus` can make before repeating."""
    return len(all_bodies()) * len(list(years))


def make_corpus(n: int, seed: int = 0, years: Iterable[int] = range(2019, 2025)) -> list[dict]:
    """`n` consistent records for benches and the archive, fast (no rendering).

    Records walk the (agency, year) pairs of the registry in a seeded random order, so
    the first :func:`corpus_capacity` records are distinct reports; beyond that the pairs
    repeat (with other numbers and narrative, as a republished report would).  Record i
    is ``make_record(seed * 10_000_019 + i, year=…, agency=…, region_code=…)``.
    """
    years = list(years)
    pairs = [(b, y) for b in all_bodies() for y in years]
    random.Random(seed).shuffle(pairs)
    out = []
    for i in range(n):
        b, y = pairs[i % len(pairs)]
        out.append(make_record(seed * 10_000_019 + i, year=y, agency=b.agency, region_code=b.region_code))
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.replica.synth [--n N] [--seed S] [--inconsistent]``: records as JSON lines."""
    import argparse
    import json
    import sys

    ap = argparse.ArgumentParser(description="synthetic annual-report records as JSON lines")
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--inconsistent", action="store_true", help="each record breaks one sum rule (see _broken)")
    args = ap.parse_args(argv)
    if args.inconsistent:
        records = [make_record(args.seed * 10_000_019 + i, consistent=False) for i in range(args.n)]
    else:
        records = make_corpus(args.n, seed=args.seed)
    for rec in records:
        sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
