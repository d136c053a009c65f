"""OCR fallback: scanned PDFs (no text layer) and image attachments → Document.

Every page becomes a grayscale picture (PDF pages rendered by pypdfium2 at
:data:`DPI`; images decoded by Pillow, every frame of a TIFF/GIF a page), the
ruling lines of tables are erased (long horizontal/vertical runs of ink: with
them tesseract's layout analysis drops most table cells), and tesseract reads
it (``-l chi_sim --psm 6``, TSV output: words with boxes and confidences; one
process per page, :data:`WORKERS` at a time, each single-threaded).

The words are put back into lines as a text dump would print them: words of a
line joined (without spaces next to Chinese characters, so OCR's stray spaces
inside labels go), a gap wider than :data:`CELL_GAP` character heights is a
cell break.  Inside a ruled table (found from the erased rules) cells are
tab-separated and a label wrapped over lines of its cell is rejoined (no rule
between the lines); value cells that came out as something not a number — the
values beside a two-line label sit between its lines and are misread — are cut
out and read again alone.  Outside tables, wrapped paragraph lines are joined
and running headers, footers and page numbers dropped.  Digit look-alikes in
number cells are fixed (:func:`extract.labels.ocr_number`).  That text goes
through the text-dump reader (:mod:`extract.readers.text`), which finds the
table rows — one table parser for dumps and OCR alike.

The result is an :class:`OcrDocument`; :func:`extract.api.build_record` marks
its record ``"ocr": true`` and adds the failing check ``ocr`` (numbers read by
OCR are low confidence, see :func:`confidence_check`).

Bounds: at most :data:`MAX_PAGES` pages, :data:`PAGE_TIMEOUT` seconds per page
and no new page started after :data:`TIME_BUDGET` seconds — so a scanned
report finishes inside the 120 s of :class:`extract.isolate.IsolatedExtractor`,
reading its first pages (where parts 2–4 are) when it is very long; skipped
pages are named in the warnings.
"""
from __future__ import annotations

import difflib
import io
import os
import re
import shutil
import statistics
import subprocess
import time
import warnings as pywarnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..document import Document
from ..errors import ExtractError
from ..labels import is_number_cell, ocr_number
from . import text as text_reader
from .pdf import _HEADING, _PAGE_NUMBER, _header_key, _open

__all__ = ["OcrDocument", "read", "read_pdf", "confidence_check", "UNAVAILABLE"]

DPI = 300  # rendering resolution of PDF pages; the measured sweet spot for chi_sim
MAX_PAGES = 40  # pages read at most; a report's tables are in its first pages
PAGE_TIMEOUT = 30.0  # seconds for one tesseract run (about 3 s for an A4 page at 300 dpi)
TIME_BUDGET = 75.0  # seconds after which no further page is started (the worker allows 120 s)
WORKERS = 2  # tesseract processes at a time
LANG = "chi_sim"
PSM = "6"  # one uniform block: table rows stay lines once the rules are erased (psm 3 splits columns)
MAX_PIXELS = 60_000_000  # one page picture at most (an A4 page at 300 dpi is 8.7 M)
MIN_WIDTH = 1600  # pictures narrower than this (an A4 scan below ~200 dpi) are enlarged
CELL_GAP = 1.5  # a gap this many character heights wide separates table cells
LOW_CONFIDENCE = 50.0  # tesseract word confidence (0–100) under which a number is doubtful
UNAVAILABLE = "OCR unavailable: install tesseract-ocr tesseract-ocr-chi-sim"

_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]$")


@dataclass
class OcrDocument(Document):
    """A Document read by OCR, with what the OCR run saw."""

    pages: int = 0  # pages read
    numbers: int = 0  # number cells in table rows
    doubtful: int = 0  # of those, read with low confidence or with a look-alike fixed


def confidence_check(doc: OcrDocument) -> dict:
    """The ``ocr`` check of a record read by OCR: always failing, its detail says why."""
    detail = (f"numbers read by OCR (tesseract {LANG}) from {doc.pages} scanned page"
              f"{'s' if doc.pages != 1 else ''}: low confidence, compare with the original document")
    if doc.numbers:
        detail += (f"; {doc.doubtful} of {doc.numbers} number cells doubtful "
                   f"(confidence under {LOW_CONFIDENCE:g}% or a look-alike character fixed)")
    return {"name": "ocr", "ok": False, "detail": detail}


# --------------------------------------------------------------------------- tesseract


_available: dict[tuple[str, str], str | None] = {}


def _tesseract() -> str:
    """The tesseract executable, once it is known to have chi_sim; else ExtractError(UNAVAILABLE)."""
    key = (os.environ.get("PATH", ""), os.environ.get("TESSDATA_PREFIX", ""))
    if key not in _available:
        exe = shutil.which("tesseract")
        found = None
        if exe:
            try:
                out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=20,
                                     env=_env()).stdout
                found = exe if LANG in out.split() else None
            except (OSError, subprocess.SubprocessError):
                found = None
        _available[key] = found
    exe = _available[key]
    if exe is None:
        raise ExtractError(UNAVAILABLE)
    return exe


def _env() -> dict[str, str]:
    # one thread per process: tesseract's OpenMP threads spin and are many times slower on busy cores
    return {**os.environ, "OMP_THREAD_LIMIT": "1"}


@dataclass
class _Word:
    left: int
    top: int
    width: int
    height: int
    conf: float
    text: str

    @property
    def right(self) -> int:
        return self.left + self.width


def _run_tesseract(exe: str, png: bytes, deadline: float | None) -> tuple[str, list[list[_Word]], int]:
    """(status, lines of words, page height); status is "ok", "skipped" (past the deadline) or an error."""
    if deadline is not None and time.monotonic() > deadline:
        return "skipped", [], 0
    try:
        res = subprocess.run([exe, "stdin", "stdout", "-l", LANG, "--psm", PSM, "tsv"], input=png,
                             capture_output=True, timeout=PAGE_TIMEOUT, env=_env())
    except subprocess.TimeoutExpired:
        return f"timed out after {PAGE_TIMEOUT:g} s", [], 0
    except OSError as exc:
        return f"tesseract failed to start ({exc.strerror or exc})", [], 0
    if res.returncode != 0:
        last = (res.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
        return f"tesseract failed ({last[:120]})", [], 0
    lines: dict[tuple[str, str, str], list[_Word]] = {}
    height = 0
    for row in res.stdout.decode("utf-8", "replace").splitlines()[1:]:
        f = row.split("\t")
        if len(f) < 12:
            continue
        if f[0] == "1":
            height = int(f[9])
        if f[0] != "5" or not f[11].strip():
            continue
        try:
            word = _Word(int(f[6]), int(f[7]), int(f[8]), int(f[9]), float(f[10]), f[11].strip())
        except ValueError:
            continue
        lines.setdefault((f[2], f[3], f[4]), []).append(word)
    return "ok", list(lines.values()), height


def _png_bytes(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def _read_page(exe: str, img, rules: "_Rules", deadline: float | None,
               budget: float | None) -> tuple[str, list["_Line"], int]:
    """One page picture (rules erased) → (status, lines, page height); not started after
    `deadline`, and its misread rows not read again after `budget` (both monotonic times)."""
    status, word_lines, height = _run_tesseract(exe, _png_bytes(img), deadline)
    if status != "ok":
        return status, [], height
    lines = [_line(words) for words in word_lines if words]  # tesseract's reading order
    if budget is None or time.monotonic() < budget:
        _reread_values(exe, img, rules, lines)
    return status, lines, height


def _reread_values(exe: str, img, rules: "_Rules", lines: list["_Line"]) -> None:
    """Read again, alone, the value cells of table rows that hold something not a number.

    Values printed beside a label wrapped over two lines sit between the label's lines; tesseract
    reads them on the baseline of one of those and misreads them (``" ? ? 0 0 0 9`` for seven 0s).
    Such rows' value cells are cut out, stacked into one picture per page and read once more; a
    re-reading with at least as many numbers replaces the first.
    """
    from PIL import Image

    suspects = []
    for ln in lines:
        if len(ln.cells) < 3 or not rules.in_table(ln.top, ln.bottom):
            continue
        k = next((i for i, c in enumerate(ln.cells) if not _CJK_CHAR.search(c)), None)
        if k is None:
            continue
        values = [ocr_number(c) for c in ln.cells[k:]]
        if all(v is not None for v in values) or sum(v is not None for v in values) < 2:
            continue
        suspects.append((ln, k))
    if not suspects:
        return
    width, height = img.size
    strips = []
    for ln, k in suspects:
        pad = int(0.5 * ln.height)
        x0 = max(0, ln.spans[k][0] - 2 * pad)
        y0 = max(0, min(v[0] for v in ln.vspans[k:]) - pad)
        y1 = min(height, max(v[1] for v in ln.vspans[k:]) + pad)
        strips.append((x0, y0, img.crop((x0, y0, width, y1))))
    gap = int(2 * max(ln.height for ln, _ in suspects))
    stacked = Image.new("L", (width + 2 * gap, sum(s.height for *_, s in strips) + gap * (len(strips) + 1)), 255)
    offsets, y = [], gap
    for _, _, strip in strips:
        stacked.paste(strip, (gap, y))
        offsets.append(y)
        y += strip.height + gap
    status, word_lines, _ = _run_tesseract(exe, _png_bytes(stacked), None)
    if status != "ok":
        return
    words = [w for wl in word_lines for w in wl]
    for (ln, k), (x0, y0, strip), off in zip(suspects, strips, offsets):
        mine = [_Word(w.left - gap + x0, w.top - off + y0, w.width, w.height, w.conf, w.text)
                for w in words if off <= w.top + w.height / 2 <= off + strip.height]
        if not mine:
            continue
        again = _line(mine)
        if sum(ocr_number(c) is not None for c in again.cells) < sum(ocr_number(c) is not None for c in ln.cells[k:]):
            continue
        ln.cells[k:], ln.spans[k:], ln.vspans[k:], ln.confs[k:] = again.cells, again.spans, again.vspans, again.confs


# --------------------------------------------------------------------------- pictures


@dataclass
class _Rules:
    """The table rules erased from a page picture."""

    bands: list[tuple[int, int]] = field(default_factory=list)  # vertical extents of ruled tables
    horizontal: list[tuple[int, int, int]] = field(default_factory=list)  # (y, x0, x1)

    def in_table(self, top: float, bottom: float) -> bool:
        centre = (top + bottom) / 2
        return any(a <= centre <= b for a, b in self.bands)

    def between(self, y0: float, y1: float, x0: float, x1: float) -> bool:
        """A horizontal rule lies between heights y0 and y1 under the span x0..x1."""
        return any(y0 < y < y1 and a < x1 and b > x0 for y, a, b in self.horizontal)


def _remove_rules(img) -> _Rules:
    """Erase table rules — runs of ink longer than ~1/25 of the page width, both ways — in place.

    Ruled tables are where two or more vertical rules stand side by side.
    """
    from PIL import Image, ImageDraw

    w, h = img.size
    min_len = max(40, w // 25)
    ink = img.point(lambda v: 255 if v < 192 else 0)
    pattern = re.compile(rb"\xff{%d,}" % min_len)
    draw = ImageDraw.Draw(img)
    rules = _Rules()
    verticals: list[tuple[int, int, int]] = []  # (top, bottom, x)
    for picture, horizontal in ((ink, True), (ink.transpose(Image.Transpose.TRANSPOSE), False)):
        data = picture.tobytes()
        width, rows = picture.size
        for y in range(rows):
            for m in pattern.finditer(data, y * width, (y + 1) * width):
                a, b = m.start() - y * width, m.end() - 1 - y * width
                if horizontal:
                    draw.rectangle((a, y - 1, b, y + 1), fill=255)
                    rules.horizontal.append((y, a, b))
                else:  # y is a column of the page here, a..b a span of its rows
                    draw.rectangle((y - 1, a, y + 1, b), fill=255)
                    verticals.append((a, b, y))
    # vertical runs of neighbouring columns make one rule; a thick one (a dark scan border) is none
    found: list[list[int]] = []  # [x0, x1, top, bottom]
    active: list[list[int]] = []
    for x, top, bottom in sorted((x, top, bottom) for top, bottom, x in verticals):
        rule = next((r for r in active if r[1] in (x - 1, x) and top <= r[3] and bottom >= r[2]), None)
        if rule is None:
            rule = [x, x, top, bottom]
            found.append(rule)
        else:
            rule[1], rule[2], rule[3] = x, min(rule[2], top), max(rule[3], bottom)
        active = [r for r in active if r[1] >= x - 1 and r is not rule] + [rule]
    thin = max(6, w // 300)
    bands: list[list] = []  # [top, bottom, set of rule x positions (to 8 px)]
    for top, bottom, x in sorted((r[2], r[3], r[0]) for r in found if r[1] - r[0] < thin):
        if bands and top <= bands[-1][1] + 4:
            bands[-1][1] = max(bands[-1][1], bottom)
            bands[-1][2].add(x // 8)
        else:
            bands.append([top, bottom, {x // 8}])
    rules.bands = [(top, bottom) for top, bottom, xs in bands if len(xs) >= 2]
    return rules


def _pdf_pages(data: bytes, warnings: list[str]):
    """The pages of a PDF as grayscale pictures at DPI (fewer dots for huge pages)."""
    pdf = _open(data)
    try:
        n = len(pdf)
        if n == 0:
            raise ExtractError("corrupt or truncated PDF (no pages)")
        if n > MAX_PAGES:
            warnings.append(f"OCR read only the first {MAX_PAGES} of {n} pages")
        for i in range(min(n, MAX_PAGES)):
            page = pdf[i]
            try:
                w, h = page.get_size()
                scale = DPI / 72
                if w * h * scale * scale > MAX_PIXELS:
                    scale = (MAX_PIXELS / max(w * h, 1.0)) ** 0.5
                bitmap = page.render(scale=scale, grayscale=True)
                img = bitmap.to_pil().convert("L")
            except ExtractError:
                raise
            except Exception as exc:  # damaged page content
                raise ExtractError(f"corrupt or truncated PDF (page {i + 1}: {type(exc).__name__})") from None
            finally:
                page.close()
            yield img
    finally:
        pdf.close()


def _image_pages(data: bytes, warnings: list[str]):
    """The frames of an image file as grayscale pictures (small scans enlarged)."""
    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

    try:
        with pywarnings.catch_warnings():  # the size is checked below, against our own limit
            pywarnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        raise ExtractError(f"image too large to read ({exc})"[:200]) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ExtractError(f"corrupt or unreadable image ({exc})") from None
    kind = f"{im.format or 'unknown'} image"
    w, h = im.size
    if w * h > MAX_PIXELS or w == 0 or h == 0:
        raise ExtractError(f"{kind} of {w}×{h} pixels: too large to read (at most {MAX_PIXELS // 1_000_000} M)")
    n = getattr(im, "n_frames", 1)
    if n > MAX_PAGES:
        warnings.append(f"OCR read only the first {MAX_PAGES} of {n} frames")
    for i, frame in enumerate(ImageSequence.Iterator(im)):
        if i >= MAX_PAGES:
            break
        fw, fh = frame.size
        if fw * fh > MAX_PIXELS:
            raise ExtractError(f"{kind}, frame {i + 1} of {fw}×{fh} pixels: too large to read")
        try:
            frame = ImageOps.exif_transpose(frame)
            if frame.mode in ("RGBA", "LA", "PA") or (frame.mode == "P" and "transparency" in frame.info):
                rgba = frame.convert("RGBA")
                page = Image.new("RGBA", rgba.size, "white")
                page.alpha_composite(rgba)
                frame = page
            page = frame.convert("L")
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise ExtractError(f"corrupt or truncated {kind} ({exc})") from None
        if page.size[0] < MIN_WIDTH:
            factor = min(2.0, MIN_WIDTH / page.size[0])
            page = page.resize((round(page.size[0] * factor), round(page.size[1] * factor)), Image.LANCZOS)
        yield page


# --------------------------------------------------------------------------- words → text lines


@dataclass
class _Line:
    cells: list[str]
    spans: list[tuple[int, int]]  # x0, x1 of each cell
    vspans: list[tuple[int, int]]  # top, bottom of each cell
    top: int
    bottom: int
    height: float
    confs: list[float]  # lowest word confidence per cell

    @property
    def text(self) -> str:
        return "".join(self.cells)

    @property
    def x0(self) -> int:
        return self.spans[0][0]

    @property
    def x1(self) -> int:
        return self.spans[-1][1]


def _join_words(a: str, b: str) -> str:
    if _CJK_CHAR.match(b[:1]) or _CJK_CHAR.search(a[-1:]):
        return a + b  # no space next to Chinese text: OCR's spaces there are noise
    return a + (" " if _ASCII_WORD.search(a) and b[:1].isalnum() else "") + b


def _line(words: list[_Word]) -> _Line:
    words = sorted(words, key=lambda w: w.left)
    height = statistics.median(w.height for w in words)
    first = words[0]
    cells, confs = [first.text], [first.conf]
    boxes = [[first.left, first.top, first.right, first.top + first.height]]
    for prev, word in zip(words, words[1:]):
        if word.left - prev.right > CELL_GAP * height:
            cells.append(word.text)
            boxes.append([word.left, word.top, word.right, word.top + word.height])
            confs.append(word.conf)
        else:
            cells[-1] = _join_words(cells[-1], word.text)
            box = boxes[-1]
            box[1], box[2], box[3] = min(box[1], word.top), max(box[2], word.right), max(box[3], word.top + word.height)
            confs[-1] = min(confs[-1], word.conf)
    return _Line(cells, [(b[0], b[2]) for b in boxes], [(b[1], b[3]) for b in boxes], min(b[1] for b in boxes),
                 max(b[3] for b in boxes), height, confs)


def _label_only(line: _Line) -> bool:
    return len(line.cells) == 1 and not is_number_cell(line.cells[0])


def _merge_wrapped_labels(lines: list[_Line], rules: _Rules) -> list[_Line]:
    """Inside a ruled table, a label wrapped over lines of its cell becomes one label again:
    a label-only line joins the line below (or above) when their first cells overlap and no rule
    runs between them — the values of a two-line row then stand beside the whole label."""
    out: list[_Line] = []
    for line in lines:
        prev = out[-1] if out else None
        if prev is not None and rules.in_table(line.top, line.bottom) and rules.in_table(prev.top, prev.bottom) \
                and (_label_only(prev) or _label_only(line)):
            (a0, a1), (b0, b1) = prev.spans[0], line.spans[0]
            x0, x1 = max(a0, b0), min(a1, b1)
            close = line.top - prev.bottom <= 1.0 * max(prev.height, line.height)
            if x1 > x0 and close and not rules.between(prev.top + prev.height / 2, line.top + line.height / 2, x0, x1):
                first = _join_words(prev.cells[0], line.cells[0])
                span = (min(a0, b0), max(a1, b1))
                if _label_only(prev):  # the label's first part above the line with the values
                    base, conf = line, min(prev.confs[0], line.confs[0])
                else:  # the label's last part below the values
                    base, conf = prev, min(prev.confs[0], line.confs[0])
                vspan = (min(prev.vspans[0][0], line.vspans[0][0]), max(prev.vspans[0][1], line.vspans[0][1]))
                out[-1] = _Line([first] + base.cells[1:], [span] + base.spans[1:], [vspan] + base.vspans[1:],
                                min(prev.top, line.top), max(prev.bottom, line.bottom), base.height,
                                [conf] + base.confs[1:])
                continue
        out.append(line)
    return out


@dataclass
class _Page:
    lines: list[_Line]
    height: int
    rules: _Rules

    def in_table(self, line: _Line) -> bool:
        return self.rules.in_table(line.top, line.bottom)


def _drop_running_lines(pages: list[_Page]) -> None:
    """Page numbers and headers/footers repeated (nearly: OCR varies) in the top/bottom bands of pages."""
    band = 0.12
    need = max(2, (len(pages) + 1) // 2) if len(pages) > 2 else 2

    def margins(page: _Page) -> list[_Line]:
        top = [ln for ln in page.lines[:2] if ln.bottom <= page.height * band]
        bottom = [ln for ln in page.lines[-2:] if ln.top >= page.height * (1 - band)]
        return top + bottom

    heights = [ln.height for p in pages for ln in p.lines for _ in ln.text]
    body = statistics.median(heights) if heights else 0.0
    keys = [[_header_key(ln.text) for ln in margins(p)] for p in pages]
    for n, page in enumerate(pages):
        drop = set()
        for ln in margins(page):
            if ln.height >= 1.15 * body:
                continue  # large type: the title on page 1, not its running copy
            key = _header_key(ln.text)
            seen = sum(1 for m, others in enumerate(keys) if m != n
                       and any(difflib.SequenceMatcher(None, key, k).ratio() >= 0.8 for k in others))
            if _PAGE_NUMBER.match(ln.text) or (len(pages) > 1 and seen + 1 >= need):
                drop.add(id(ln))
        page.lines = [ln for ln in page.lines if id(ln) not in drop]


def _fix_row(line: _Line, in_table: bool) -> tuple[int, int]:
    """Fix digit look-alikes in the number cells of a table row; (number cells, doubtful ones).

    A row is a line of a ruled table with two or more cells, or elsewhere a line with two
    numbers of which one is read cleanly."""
    fixed = [ocr_number(c) for c in line.cells]
    if len(line.cells) < 2:
        return 0, 0
    if not in_table and (sum(f is not None for f in fixed) < 2 or not any(is_number_cell(c) for c in line.cells)):
        return 0, 0
    numbers = doubtful = 0
    for i, (cell, clean) in enumerate(zip(line.cells, fixed)):
        if clean is None:
            continue
        numbers += 1
        if clean != cell or line.confs[i] < LOW_CONFIDENCE:
            doubtful += 1
        line.cells[i] = clean
    return numbers, doubtful


@dataclass
class _Layout:
    """The body text's left and right margins and its line pitch, over the whole document."""

    left: float
    right: float
    pitch: float

    @classmethod
    def of(cls, pages: list[_Page]) -> "_Layout":
        prose = [[ln for ln in p.lines if not p.in_table(ln) and len(ln.text) >= 10] for p in pages]
        flat = [ln for lines in prose for ln in lines]
        if not flat:
            return cls(0.0, 0.0, 0.0)
        lefts, rights = sorted(ln.x0 for ln in flat), sorted(ln.x1 for ln in flat)
        pitches = [b.top - a.top for lines in prose for a, b in zip(lines, lines[1:]) if 0 < b.top - a.top < 3 * a.height]
        return cls(lefts[len(flat) // 10], rights[(len(flat) * 9) // 10],
                   statistics.median(pitches) if pitches else 0.0)


def _page_text(page: _Page, layout: _Layout) -> list[str]:
    """The page as dump lines, as a text dump prints them: a line inside a ruled table is a row,
    its cells tab-separated (a label wrapped in its cell is a row of its own, as in a dump); other
    lines are prose, wrapped lines of a paragraph joined, unless two or more of their cells are
    numbers (a table without rules: cells two spaces apart)."""
    left, right, pitch = layout.left, layout.right, layout.pitch
    out: list[str] = []
    prev: _Line | None = None
    for ln in page.lines:
        if page.in_table(ln):
            out.append("\t".join(ln.cells) + ("\t" if len(ln.cells) == 1 else ""))
            prev = None
            continue
        if sum(1 for c in ln.cells if is_number_cell(c)) >= 2:
            out.append("  ".join(ln.cells))
            prev = None
            continue
        text = ln.cells[0]
        for cell in ln.cells[1:]:
            text = _join_words(text, cell)
        h = ln.height
        continues = (
            prev is not None
            and prev.x1 >= right - 1.5 * h  # the line before ran to the right margin
            and ln.x0 <= left + 1.0 * h  # this one is not indented
            and abs(ln.height - prev.height) <= 0.1 * max(h, prev.height)  # same type size
            and ln.top - prev.bottom <= 1.0 * h
            and (not pitch or ln.top - prev.top <= 1.2 * pitch)  # no space above, as before a heading
            and not _HEADING.match(text)
        )
        if continues:
            out[-1] = _join_words(out[-1], text)
        else:
            out.append(text)
        prev = ln
    return out


# --------------------------------------------------------------------------- reading


def _ocr(pictures, warnings: list[str], fmt: str, what: str) -> OcrDocument:
    """OCR every picture (a generator, rendered as the workers go) into an OcrDocument."""
    exe = _tesseract()
    start = time.monotonic()
    deadline = start + TIME_BUDGET
    results = []
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        pending = []
        for number, picture in enumerate(pictures, 1):
            if number > 1 and time.monotonic() > deadline:  # the first page is always read
                pending.append((number, _Rules(), None))
                break
            rules = _remove_rules(picture)
            pending.append((number, rules, pool.submit(_read_page, exe, picture, rules,
                                                       deadline if number > 1 else None, deadline)))
            del picture
            # keep at most a few rendered pages waiting for a worker
            while sum(1 for *_, f in pending if f is not None and not f.done()) > 2 * WORKERS:
                time.sleep(0.05)
        for number, rules, future in pending:
            results.append((number, rules, future.result() if future is not None else ("skipped", [], 0)))
    pages: list[_Page] = []
    skipped: list[int] = []
    for number, rules, (status, lines, height) in results:
        if status == "skipped":
            skipped.append(number)
        elif status != "ok":
            warnings.append(f"OCR of page {number}: {status}")
        else:
            pages.append(_Page(_merge_wrapped_labels(lines, rules), height, rules))
    if skipped:
        warnings.append(f"OCR time budget ({TIME_BUDGET:g} s) used up: page {skipped[0]} and later not read")
    if not any(p.lines for p in pages):
        failed = [w for w in warnings if w.startswith("OCR of page")]
        raise ExtractError(f"{what}: OCR found no text" + (f" ({failed[0]})" if failed else ""))
    _drop_running_lines(pages)
    numbers = doubtful = 0
    for page in pages:
        for ln in page.lines:
            n, d = _fix_row(ln, page.in_table(ln))
            numbers += n
            doubtful += d
    layout = _Layout.of(pages)
    dump = "\n".join(line for page in pages for line in _page_text(page, layout))
    doc = text_reader.read(dump)
    return OcrDocument(blocks=doc.blocks, format=fmt, warnings=warnings, pages=len(pages), numbers=numbers,
                       doubtful=doubtful)


def read_pdf(data: bytes, *, url: str | None = None, what: str = "no text layer (scanned PDF?)") -> OcrDocument:
    """A PDF whose pages are pictures (no text layer) → OcrDocument (format "pdf")."""
    try:
        _tesseract()
    except ExtractError:
        raise ExtractError(f"{what}: {UNAVAILABLE}") from None
    warnings: list[str] = []
    return _ocr(_pdf_pages(data, warnings), warnings, "pdf", what)


def read(data: bytes, *, url: str | None = None) -> OcrDocument:
    """An image file (PNG, JPEG, TIFF, BMP, GIF; every frame a page) → OcrDocument (format "image")."""
    warnings: list[str] = []
    pages = _image_pages(data, warnings)
    first = next(pages)  # decodes the first frame: a broken file fails here, before any OCR
    try:
        _tesseract()
    except ExtractError:
        raise ExtractError(f"image (a scanned page?): {UNAVAILABLE}") from None

    def all_pages():
        yield first
        yield from pages

    return _ocr(all_pages(), warnings, "image", "image")
