"""PDF reader: a report PDF → :class:`extract.document.Document`.

Speed first (goal: within 10× a plain pypdfium2 text dump): every page is read
with pypdfium2 only — characters with their boxes and font sizes, and the
ruling lines of path objects (including those inside form XObjects).  Only
pages that have ruling lines run the table finder, which is pdfplumber's
"lines" strategy (snap and join rules → intersections → smallest enclosed
cells → tables of cells sharing corners) re-done on those edges: pdfplumber
itself parses every page with pdfminer, 50–100× slower than the dump.

Per page, ruled tables become exact grids (a merged cell's text repeated over
every grid position it covers, from the cell boxes); the characters outside
tables become lines, lines become paragraphs (a line ending short, an indented
line, a heading like ``二、主动公开政府信息情况`` or a vertical gap starts a
new one) and runs of lines with wide gaps and numbers become inexact tables.
Running headers and footers (lines repeated at the top/bottom of pages, page
numbers) are dropped, and a table continued on the next page is joined into
one table.
"""
from __future__ import annotations

import ctypes
import re
import statistics
from bisect import bisect_right
from dataclasses import dataclass, field

from extract.document import Document, Paragraph, Table, clean_text
from extract.errors import ExtractError

__all__ = ["read"]

_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_CJK_NEWLINE = re.compile(rf"(?<=[{_CJK}])[ \t]*\n\s*|[ \t]*\n\s*(?=[{_CJK}])")
_HEADING = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+\s*[、.．，,]|[（(]\s*[一二三四五六七八九十]+\s*[）)]|第[一二三四五六七八九十]+[部章节]"
    r"|\d{1,2}\s*[、．]|\d{1,2}\.(?!\d))"
)
_PART_HEADING = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]")
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-—–－]\s*\d+\s*[-—–－]|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|共\s*\d+\s*页\s*第\s*\d+\s*页"
    r"|\d+\s*/\s*\d+|[Pp]age\s*\d+(?:\s*of\s*\d+)?|\d+)\s*$"
)
_NUMBER = re.compile(r"^[-+]?\d[\d,，.]*%?$|^[-—/无]$")
_BAD_TITLE = re.compile(r"(?i)microsoft word|\.docx?\b|\.wps\b|\.pdf\b|^untitled|^无标题|^\(?anonymous\)?$")
_UNMAPPED_SHARE = 0.3


# A character is a plain tuple, for speed: (top + bottom, x0, x1, top, bottom, size, text).
# Sorting a list of them orders by vertical centre, then left edge.
_Char = tuple
CY, X0, X1, TOP, BOTTOM, SIZE, TEXT = range(7)


@dataclass
class _Line:
    chars: list[_Char]
    text: str = ""
    segments: list[tuple[float, float, str]] = field(default_factory=list)
    x0: float = 0.0
    x1: float = 0.0
    top: float = 0.0
    bottom: float = 0.0
    size: float = 0.0


@dataclass
class _Grid:
    rows: list[list[str]]
    owners: list[list[int]]
    top: float
    bottom: float


# --------------------------------------------------------------------------- opening


def _open(data: bytes):
    import pypdfium2 as pdfium

    if not data:
        raise ExtractError("empty PDF file")
    if b"%PDF" not in data[:1024]:
        raise ExtractError("not a PDF (no %PDF header)")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == 4 or "password" in str(exc).lower():
            raise ExtractError("encrypted PDF (a password is required to open it)") from None
        raise ExtractError(f"corrupt or truncated PDF ({exc})") from None
    except Exception as exc:  # pdfium raises plain errors for some malformed inputs
        raise ExtractError(f"corrupt or truncated PDF ({type(exc).__name__})") from None


# --------------------------------------------------------------------------- characters and edges


class _View:
    """Maps PDF user space (y up) to the page as displayed (y down from the top), honouring /Rotate."""

    def __init__(self, page) -> None:
        x0, y0, x1, y1 = page.get_mediabox()
        self.rotation = page.get_rotation() % 360
        self.box = (x0, y0, x1, y1)
        sideways = self.rotation in (90, 270)
        self.width = (y1 - y0) if sideways else (x1 - x0)
        self.height = (x1 - x0) if sideways else (y1 - y0)

    def __call__(self, x: float, y: float) -> tuple[float, float]:
        x0, y0, x1, y1 = self.box
        r = self.rotation
        if r == 90:
            return y - y0, x - x0
        if r == 180:
            return x1 - x, y - y0
        if r == 270:
            return y1 - y, x1 - x
        return x - x0, y1 - y


def _page_chars(page, view: _View, exhaustive: bool) -> tuple[list[_Char], int]:
    """Visible characters of a page (whitespace dropped) and an estimate of those without a Unicode mapping.

    Speed matters here: the text comes in one call, the font size is asked only when the
    box height changes, and the unmapped-glyph check samples every 8th character unless
    ``exhaustive``.
    """
    import pypdfium2.raw as R

    textpage = page.get_textpage()
    raw = textpage.raw
    n = R.FPDFText_CountChars(raw)
    text = textpage.get_text_range() if n else ""
    if len(text) != n:  # surrogate pairs: fall back to one call per character
        text = "".join(chr(R.FPDFText_GetUnicode(raw, i) or 0xFFFD) for i in range(n))
    rect = R.FS_RECTF()
    get_box = R.FPDFText_GetLooseCharBox
    get_size = R.FPDFText_GetFontSize
    map_error = R.FPDFText_HasUnicodeMapError
    stride = 1 if exhaustive else 8
    upright = view.rotation == 0
    x_left, y_top = view.box[0], view.box[3]
    out: list[_Char] = []
    unmapped = 0
    seen = 0
    last_height = -1.0
    size = 0.0
    for i, ch in enumerate(text):
        if ch.isspace() or ch == "\x02":
            continue
        code = ord(ch)
        if code < 0x20 or code == 0xFFFD:
            unmapped += 1
            seen += 1
            ch = "\ufffd"
        else:
            if seen % stride == 0 and map_error(raw, i):
                unmapped += stride
            seen += 1
        get_box(raw, i, rect)
        height = rect.top - rect.bottom
        if abs(height - last_height) > 0.01:
            size = get_size(raw, i)
            last_height = height
        if upright:  # the common case, inlined
            top, bottom = y_top - rect.top, y_top - rect.bottom
            out.append((top + bottom, rect.left - x_left, rect.right - x_left, top, bottom, size, ch))
            continue
        ax, ay = view(rect.left, rect.bottom)
        bx, by = view(rect.right, rect.top)
        left, right = (ax, bx) if ax <= bx else (bx, ax)
        top, bottom = (ay, by) if ay <= by else (by, ay)
        out.append((top + bottom, left, right, top, bottom, size, ch))
    textpage.close()
    return out, min(unmapped, len(out))


def _matrix(obj) -> tuple[float, ...]:
    import pypdfium2.raw as R

    m = R.FS_MATRIX()
    if not R.FPDFPageObj_GetMatrix(obj, m):
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _compose(inner: tuple[float, ...], outer: tuple[float, ...]) -> tuple[float, ...]:
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _page_edges(page, view: _View) -> list[dict]:
    """Horizontal and vertical edges of stroked or filled path objects, in displayed (top-down) coordinates."""
    import pypdfium2.raw as R

    raw_page = page.raw
    stack = [(R.FPDFPage_GetObject(raw_page, i), None) for i in range(R.FPDFPage_CountObjects(raw_page))]
    edges: list[dict] = []
    fill = ctypes.c_int()
    stroke = ctypes.c_int()
    x = ctypes.c_float()
    y = ctypes.c_float()
    visited = 0
    while stack:
        obj, parent = stack.pop()
        visited += 1
        if visited > 200000:
            break
        kind = R.FPDFPageObj_GetType(obj)
        if kind == R.FPDF_PAGEOBJ_FORM:
            m = _matrix(obj) if parent is None else _compose(_matrix(obj), parent)
            stack.extend((R.FPDFFormObj_GetObject(obj, i), m) for i in range(R.FPDFFormObj_CountObjects(obj)))
            continue
        if kind != R.FPDF_PAGEOBJ_PATH:
            continue
        if R.FPDFPath_GetDrawMode(obj, fill, stroke) and not fill.value and not stroke.value:
            continue
        m = _matrix(obj) if parent is None else _compose(_matrix(obj), parent)
        a, b, c, d, e, f = m
        points: list[tuple[float, float]] = []
        subpaths: list[tuple[list[tuple[float, float]], bool]] = []
        curved = False
        for i in range(R.FPDFPath_CountSegments(obj)):
            seg = R.FPDFPath_GetPathSegment(obj, i)
            R.FPDFPathSegment_GetPoint(seg, x, y)
            px, py = view(x.value * a + y.value * c + e, x.value * b + y.value * d + f)
            stype = R.FPDFPathSegment_GetType(seg)
            if stype == R.FPDF_SEGMENT_MOVETO:
                if len(points) > 1:
                    subpaths.append((points, curved))
                points, curved = [(px, py)], False
            else:
                curved = curved or stype == R.FPDF_SEGMENT_BEZIERTO
                points.append((px, py))
            if R.FPDFPathSegment_GetClose(seg) and points:
                points.append(points[0])
        if len(points) > 1:
            subpaths.append((points, curved))
        for pts, is_curved in subpaths:
            if is_curved:
                continue
            xs = [p[0] for p in pts]
            ys = [p[1] for p in pts]
            w, h = max(xs) - min(xs), max(ys) - min(ys)
            axis_aligned = all(abs(p[0] - q[0]) < 0.5 or abs(p[1] - q[1]) < 0.5 for p, q in zip(pts, pts[1:]))
            if not axis_aligned:
                continue
            if len(pts) >= 4 and (w < 3 or h < 3):  # a thin filled rectangle drawn as a rule
                if w >= h:
                    edges.append(_edge("h", min(xs), max(xs), (max(ys) + min(ys)) / 2))
                else:
                    edges.append(_edge("v", (max(xs) + min(xs)) / 2, min(ys), max(ys)))
                continue
            for p, q in zip(pts, pts[1:]):
                if abs(p[1] - q[1]) < 0.5 and abs(p[0] - q[0]) >= 0.5:
                    edges.append(_edge("h", min(p[0], q[0]), max(p[0], q[0]), p[1]))
                elif abs(p[0] - q[0]) < 0.5 and abs(p[1] - q[1]) >= 0.5:
                    edges.append(_edge("v", p[0], min(p[1], q[1]), max(p[1], q[1])))
    return edges


def _edge(orientation: str, a: float, b: float, c: float) -> dict:
    if orientation == "h":
        return {"x0": a, "x1": b, "top": c, "bottom": c, "width": b - a, "height": 0.0, "orientation": "h",
                "object_type": "line"}
    return {"x0": a, "x1": a, "top": b, "bottom": c, "width": 0.0, "height": c - b, "orientation": "v",
            "object_type": "line"}


# --------------------------------------------------------------------------- ruled tables


_SNAP = 3.0


def _merge_lines(edges: list[tuple[float, float, float]]) -> dict[float, list[tuple[float, float]]]:
    """Collinear rules (position, start, end): positions within _SNAP snapped together, touching spans joined."""
    by_pos: dict[float, list[tuple[float, float]]] = {}
    cluster: list[tuple[float, float, float]] = []

    def close() -> None:
        if not cluster:
            return
        pos = sum(c[0] for c in cluster) / len(cluster)
        spans = sorted((c[1], c[2]) for c in cluster)
        joined = [list(spans[0])]
        for a, b in spans[1:]:
            if a <= joined[-1][1] + _SNAP:
                joined[-1][1] = max(joined[-1][1], b)
            else:
                joined.append([a, b])
        by_pos[pos] = [(a, b) for a, b in joined if b - a >= _SNAP]
        cluster.clear()

    for edge in sorted(edges):
        if cluster and edge[0] - cluster[-1][0] > _SNAP:
            close()
        cluster.append(edge)
    close()
    return {k: v for k, v in by_pos.items() if v}


def _covered(spans: list[tuple[float, float]], a: float, b: float) -> bool:
    return any(s <= a + _SNAP and e >= b - _SNAP for s, e in spans)


def _find_table_cells(edges: list[dict]) -> list[list[tuple[float, float, float, float]]]:
    """Cells of ruled tables, grouped by table (cells sharing a corner belong together).

    The lines strategy of pdfplumber's table finder, on our own edges: a cell is the
    smallest rectangle between intersections whose four sides are each covered by one rule.
    """
    h = _merge_lines([(e["top"], e["x0"], e["x1"]) for e in edges if e["orientation"] == "h"])
    v = _merge_lines([(e["x0"], e["top"], e["bottom"]) for e in edges if e["orientation"] == "v"])
    if len(h) < 2 or len(v) < 2:
        return []
    ys, xs = sorted(h), sorted(v)
    points = {
        (x, y)
        for x in xs
        for y in ys
        if _covered(v[x], y, y) and _covered(h[y], x, x)
    }
    cells: list[tuple[float, float, float, float]] = []
    for x, y in sorted(points):
        below = [y2 for y2 in ys if y2 > y and (x, y2) in points]
        right = [x2 for x2 in xs if x2 > x and (x2, y) in points]
        found = None
        for y2 in below:
            if not _covered(v[x], y, y2):
                break
            for x2 in right:
                if not _covered(h[y], x, x2):
                    break
                if (x2, y2) in points and _covered(v[x2], y, y2) and _covered(h[y2], x, x2):
                    found = (x, y, x2, y2)
                    break
            if found:
                break
        if found:
            cells.append(found)
    # group cells into tables by shared corners (union-find)
    parent = list(range(len(cells)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[tuple[float, float], int] = {}
    for i, (x0, y0, x1, y1) in enumerate(cells):
        for corner in ((x0, y0), (x0, y1), (x1, y0), (x1, y1)):
            if corner in owner:
                parent[root(i)] = root(owner[corner])
            else:
                owner[corner] = i
    groups: dict[int, list[tuple[float, float, float, float]]] = {}
    for i, cell in enumerate(cells):
        groups.setdefault(root(i), []).append(cell)
    return sorted((g for g in groups.values() if len(g) >= 2), key=lambda g: min(c[1] for c in g))


def _axis(values: list[float], tol: float = 2.0) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


def _nearest(axis: list[float], v: float) -> int:
    i = bisect_right(axis, v)
    if i == 0:
        return 0
    if i == len(axis):
        return len(axis) - 1
    return i if axis[i] - v < v - axis[i - 1] else i - 1


def _build_grid(cells: list[tuple[float, float, float, float]], chars: list[_Char]) -> tuple[_Grid | None, set[int]]:
    """Grid of one table; returns it and the indexes of the chars it consumed."""
    xs = _axis([c[0] for c in cells] + [c[2] for c in cells])
    ys = _axis([c[1] for c in cells] + [c[3] for c in cells])
    nrows, ncols = len(ys) - 1, len(xs) - 1
    if nrows < 1 or ncols < 2:
        return None, set()
    owners = [[-1] * ncols for _ in range(nrows)]
    for k, (x0, top, x1, bottom) in enumerate(cells):
        c0, c1, r0, r1 = _nearest(xs, x0), _nearest(xs, x1), _nearest(ys, top), _nearest(ys, bottom)
        for r in range(r0, max(r1, r0 + 1)):
            for c in range(c0, max(c1, c0 + 1)):
                if r < nrows and c < ncols and owners[r][c] == -1:
                    owners[r][c] = k
    cell_chars: dict[int, list[_Char]] = {}
    used: set[int] = set()
    left, right, top_edge, bottom_edge = xs[0], xs[-1], ys[0], ys[-1]
    for i, ch in enumerate(chars):
        mx, my = (ch[X0] + ch[X1]) / 2, ch[CY] / 2
        if not (left <= mx <= right and top_edge <= my <= bottom_edge):
            continue
        c = min(max(bisect_right(xs, mx) - 1, 0), ncols - 1)
        r = min(max(bisect_right(ys, my) - 1, 0), nrows - 1)
        used.add(i)
        if owners[r][c] >= 0:
            cell_chars.setdefault(owners[r][c], []).append(ch)
    texts = {k: _join_lines([ln.text for ln in _lines(cs)]) for k, cs in cell_chars.items()}
    rows = [[texts.get(k, "") if k >= 0 else "" for k in row] for row in owners]
    keep_r = [r for r in range(nrows) if any(rows[r])]
    keep_c = list(range(ncols))  # an empty column may be a merged label continued from the previous page
    if not keep_r:
        return None, set()
    grid = _Grid(
        rows=[[rows[r][c] for c in keep_c] for r in keep_r],
        owners=[[owners[r][c] for c in keep_c] for r in keep_r],
        top=top_edge,
        bottom=bottom_edge,
    )
    return grid, used


# --------------------------------------------------------------------------- lines


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF or 0x3000 <= o <= 0x303F


def _lines(chars: list[_Char]) -> list[_Line]:
    """Group visible characters into lines (by vertical centre), left to right, with gap-separated segments."""
    if not chars:
        return []
    groups: list[list[_Char]] = []
    centre = -1e9
    current: list[_Char] = []
    for ch in sorted(chars):
        cy = ch[CY]
        size = ch[SIZE]
        if current and abs(cy - centre) <= (size if size > 1.0 else 1.0) * 0.9:
            current.append(ch)
        else:
            current = [ch]
            groups.append(current)
            centre = cy
    out: list[_Line] = []
    for group in groups:
        group.sort(key=_x0_key)
        size = sorted([c[SIZE] for c in group])[len(group) // 2]
        gap_limit = size if size > 4.0 else 4.0
        space_limit = 0.25 * size
        line = _Line(chars=group, size=size)
        prev = group[0]
        parts = [prev[TEXT]]
        seg_start = 0
        seg_x0 = prev[X0]
        right = prev[X1]
        top, bottom = prev[TOP], prev[BOTTOM]
        for ch in group[1:]:
            gap = ch[X0] - prev[X1]
            if gap > gap_limit:
                line.segments.append((seg_x0, prev[X1], "".join(parts[seg_start:]).strip()))
                parts.append(" ")
                seg_start = len(parts)
                seg_x0 = ch[X0]
            elif gap > space_limit and not (_is_cjk(prev[TEXT]) and _is_cjk(ch[TEXT])):
                parts.append(" ")
            parts.append(ch[TEXT])
            if ch[X1] > right:
                right = ch[X1]
            if ch[TOP] < top:
                top = ch[TOP]
            if ch[BOTTOM] > bottom:
                bottom = ch[BOTTOM]
            prev = ch
        line.segments.append((seg_x0, prev[X1], "".join(parts[seg_start:]).strip()))
        line.text = "".join(parts)
        line.x0, line.x1, line.top, line.bottom = group[0][X0], right, top, bottom
        out.append(line)
    return out


def _x0_key(ch: _Char) -> float:
    return ch[X0]


def _join_lines(texts: list[str]) -> str:
    return clean_text(_CJK_NEWLINE.sub("", "\n".join(t for t in texts if t)))


# --------------------------------------------------------------------------- pages


@dataclass
class _Page:
    number: int
    height: float
    items: list = field(default_factory=list)  # (top, _Line | _Grid)


def _read_page(page, number: int) -> tuple[_Page, int, int]:
    """Lines and ruled tables of one page; returns (page, char count, unmapped char count)."""
    view = _View(page)
    height = view.height
    chars, unmapped = _page_chars(page, view, exhaustive=number < 2)
    result = _Page(number=number, height=height)
    remaining = chars
    edges = _page_edges(page, view) if chars else []
    if edges:
        used_all: set[int] = set()
        for cells in _find_table_cells(edges):
            grid, used = _build_grid(cells, chars)
            if grid is not None:
                result.items.append((grid.top, grid))
                used_all |= used
        if used_all:
            remaining = [c for i, c in enumerate(chars) if i not in used_all]
    for line in _lines(remaining):
        result.items.append((line.top, line))
    result.items.sort(key=lambda item: item[0])
    return result, len(chars), unmapped


def _header_key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _drop_running_lines(pages: list[_Page], body_size: float, title: str | None) -> None:
    """Remove page numbers and running headers/footers from the top and bottom bands of the pages.

    A running line is one whose text (digits ignored) recurs at about the same height on several
    pages; on a single page, a small copy of the title in the top band also counts.
    """
    band = 0.12
    where: dict[str, list[tuple[int, float]]] = {}
    margins = {page.number: {id(ln) for ln in _margin_lines(page, band)} for page in pages}
    for page in pages:
        for _, item in page.items:
            if id(item) in margins[page.number]:
                where.setdefault(_header_key(item.text), []).append((page.number, item.top))
    need = max(2, (len(pages) + 1) // 2) if len(pages) > 2 else 2
    title_key = _header_key(title) if title else None

    def repeated(key: str, top: float) -> bool:
        return len({n for n, t in where.get(key, []) if abs(t - top) <= 4}) >= need

    for page in pages:
        kept = []
        for top, item in page.items:
            if id(item) in margins[page.number]:
                key = _header_key(item.text)
                large = item.size >= 1.15 * body_size
                if _PAGE_NUMBER.match(item.text) or (not large and key == title_key) or repeated(key, item.top):
                    continue
            kept.append((top, item))
        page.items = kept


def _margin_lines(page: _Page, band: float) -> list[_Line]:
    """Lines that may be running headers/footers: runs of lines in the top (bottom) band of the page
    that are set apart from the body below (above) them by a gap of at least most of a line."""
    items = page.items
    found: list[_Line] = []
    for ordered, in_band, gap_after in (
        (items, lambda it: it.bottom <= page.height * band, lambda it, nxt: nxt[0] - it.bottom),
        (items[::-1], lambda it: it.top >= page.height * (1 - band), lambda it, nxt: it.top - _item_bottom(nxt[1])),
    ):
        run: list[_Line] = []
        for k, (_, item) in enumerate(ordered):
            if not isinstance(item, _Line) or not in_band(item):
                break
            run.append(item)
            following = ordered[k + 1] if k + 1 < len(ordered) else None
            if following is None or gap_after(item, following) >= 0.8 * (item.bottom - item.top):
                found.extend(run)
                run = []
    return found


def _item_bottom(item) -> float:
    return item.bottom


def _numeric(text: str) -> bool:
    return bool(_NUMBER.match(text.replace(" ", "")))


def _text_tables(items: list) -> list:
    """Runs of ≥2 lines with gap-separated segments and numbers → inexact tables."""
    out: list = []
    run: list[_Line] = []

    def close() -> None:
        if len(run) >= 2 and any(any(_numeric(s[2]) for s in ln.segments) for ln in run):
            out.append((run[0].top, Table([[s[2] for s in ln.segments] for ln in run], exact_columns=False)))
        else:
            out.extend((ln.top, ln) for ln in run)
        run.clear()

    for top, item in items:
        if isinstance(item, _Line) and len(item.segments) >= 2 and not _PART_HEADING.match(item.text):
            run.append(item)
            continue
        close()
        out.append((top, item))
    close()
    return out


def _continues(prev: _Grid, cur: _Grid) -> bool:
    return len(prev.rows[0]) == len(cur.rows[0])


def _append_rows(prev: _Grid, cur: _Grid) -> None:
    rows, owners = cur.rows, cur.owners
    # a repeated header row at the top of the continuation
    k = 0
    while k < len(rows) and k < len(prev.rows) and rows[k] == prev.rows[k]:
        k += 1
    if k < len(rows) and k > 0:
        rows, owners = rows[k:], owners[k:]
    rows = [list(r) for r in rows]
    last = prev.rows[-1]
    # a row broken over the page: its first part ends page k, the rest of its wrapped text starts page k+1
    if rows:
        first = rows[0]
        filled = [c for c, v in enumerate(first) if v]
        if filled and all(last[c] and not _numeric(last[c]) for c in filled) and any(
            last[c] and not first[c] for c in range(len(first))
        ):
            for c in filled:
                last[c] = _join(last[c], first[c])
            rows, owners = rows[1:], owners[1:]
    # a vertically merged cell running over the page break: continue its text
    last_owner = prev.owners[-1]
    above_owner = prev.owners[-2] if len(prev.owners) > 1 else None
    for c in range(len(last)):
        if rows and rows[0][c] == "" and last[c] and above_owner is not None and above_owner[c] == last_owner[c]:
            first = owners[0][c]
            r = 0
            while r < len(rows) and owners[r][c] == first and rows[r][c] == "":
                rows[r][c] = last[c]
                r += 1
    prev.rows.extend(rows)
    prev.owners.extend(owners)
    prev.bottom = cur.bottom


# --------------------------------------------------------------------------- paragraphs


def _starts_paragraph(prev: _Line | None, cur: _Line, left: float, right: float, body: float, same_page: bool) -> bool:
    if prev is None:
        return True
    size = max(cur.size, 1.0)
    large_prev, large_cur = prev.size >= 1.15 * body, cur.size >= 1.15 * body
    if large_prev and large_cur and abs(prev.size - cur.size) < 1 and same_page and cur.top - prev.bottom < prev.size:
        return False  # a title wrapped over several centred lines
    if _HEADING.match(cur.text) or abs(cur.size - prev.size) > 1.5:
        return True
    if _HEADING.match(prev.text) and len(prev.text) <= 40 and prev.x1 < right - 1.5 * size:
        return True
    if prev.x1 < right - 1.5 * size:
        return True
    if cur.x0 > left + 1.0 * size:
        return True
    if same_page and cur.top - prev.bottom > 0.9 * max(prev.bottom - prev.top, size):
        return True
    return False


def _join(a: str, b: str) -> str:
    if not a:
        return b
    if a and b and (_is_cjk(a[-1]) or _is_cjk(b[0])):
        return a + b
    return a + " " + b


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(q * (len(values) - 1))))]


def _title_from_lines(first_page: _Page, body: float) -> str | None:
    taken: list[_Line] = []
    for _, item in first_page.items[:6]:
        if not isinstance(item, _Line):
            break
        if item.size >= 1.15 * body:
            if taken and abs(item.size - taken[-1].size) >= 1:
                break
            taken.append(item)
        elif taken:
            break
    text = _join_lines([ln.text for ln in taken])
    return text if 4 <= len(text) <= 120 else None


def read(data: bytes, *, url: str | None = None) -> Document:
    """Read PDF bytes into a Document (format "pdf")."""
    pdf = _open(data)
    truncated = b"%%EOF" not in data[-2048:]
    warnings: list[str] = []
    try:
        n_pages = len(pdf)
        if n_pages == 0:
            raise ExtractError("corrupt or truncated PDF (no pages)")
        pages: list[_Page] = []
        total = unmapped = 0
        for i in range(n_pages):
            try:
                page = pdf[i]
            except Exception as exc:  # a page object pdfium cannot load
                raise ExtractError(f"corrupt or truncated PDF (page {i + 1}: {exc})") from None
            try:
                parsed, n_chars, n_bad = _read_page(page, i)
            except Exception as exc:  # pdfium/ctypes failures on damaged page content
                raise ExtractError(f"corrupt or truncated PDF (page {i + 1}: {type(exc).__name__})") from None
            finally:
                page.close()
            pages.append(parsed)
            total += n_chars
            unmapped += n_bad
        meta_title = (pdf.get_metadata_dict() or {}).get("Title") or ""
    finally:
        pdf.close()
    if total == 0:
        if truncated:
            raise ExtractError("corrupt or truncated PDF (no text and no end-of-file marker)")
        from . import ocr  # pages that are pictures: read them by OCR

        return ocr.read_pdf(data, url=url, what="no text layer (scanned PDF?)")
    if unmapped >= _UNMAPPED_SHARE * total:
        raise ExtractError(f"unmapped font glyphs (cid:…): {unmapped} of {total} characters have no Unicode mapping")
    if unmapped:
        warnings.append(f"{unmapped} characters with unmapped font glyphs")
    if truncated:
        warnings.append("PDF lacks an end-of-file marker (truncated?)")

    lines_all = [it for p in pages for _, it in p.items if isinstance(it, _Line)]
    weights = [ln.size for ln in lines_all for _ in range(len(ln.text))]
    body = statistics.median(weights) if weights else 10.0
    title = _title_from_lines(pages[0], body)
    _drop_running_lines(pages, body, title)
    long_lines = [ln for p in pages for _, ln in p.items if isinstance(ln, _Line) and len(ln.text) >= 10]
    left = _percentile([ln.x0 for ln in long_lines], 0.1) if long_lines else 0.0
    right = _percentile([ln.x1 for ln in long_lines], 0.9) if long_lines else 1e9

    blocks: list = []  # Paragraph, Table, or _Grid (converted at the end, after continuations)
    open_grid: _Grid | None = None
    open_text: Table | None = None  # an inexact table that may continue on the next page
    prev_line: _Line | None = None
    prev_page = -1
    buffer = ""

    def flush() -> None:
        nonlocal buffer
        if buffer:
            blocks.append(Paragraph(buffer))
        buffer = ""

    for page in pages:
        items = _text_tables(page.items)
        for index, (_, item) in enumerate(items):
            if isinstance(item, _Grid):
                open_text = None
                if open_grid is not None and index == 0 and _continues(open_grid, item):
                    _append_rows(open_grid, item)
                    continue
                flush()
                prev_line = None
                open_grid = item
                blocks.append(item)
                continue
            open_grid = None
            if isinstance(item, Table):
                if open_text is not None and index == 0:  # a text-layout table continued from the last page
                    open_text.rows.extend(item.rows)
                    open_text = item = Table(open_text.rows, exact_columns=False)
                    blocks[-1] = item
                    continue
                flush()
                blocks.append(item)
                open_text = item
                prev_line = None
                continue
            open_text = None
            if _starts_paragraph(prev_line, item, left, right, body, page.number == prev_page):
                flush()
            buffer = _join(buffer, item.text)
            prev_line = item
            prev_page = page.number
    flush()
    blocks = [Table(b.rows) if isinstance(b, _Grid) else b for b in blocks]

    if title is None:  # no large type: a short first paragraph naming the report
        first = next((b for b in blocks[:3] if isinstance(b, Paragraph) and "报告" in b.text and len(b.text) <= 80), None)
        title = first.text if first else None
    if title is None and meta_title and not _BAD_TITLE.search(meta_title.strip()) and _CJK_CHAR.search(meta_title):
        title = clean_text(meta_title)
    return Document(blocks=blocks, format="pdf", title=title, warnings=warnings)
