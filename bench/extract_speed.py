"""Extraction speed per format, on synthetic reports rendered like portal documents.

    python bench/extract_speed.py [--n 100] [--formats text,html,pdf,docx,doc] [--out DIR] [--seed 0]
                                  [--no-extract]

1. Generates ``--n`` synthetic records (tests.replica.synth.make_corpus) and renders
   each into every requested format (tests.replica.render), rotating through the
   real-portal variants (HTML plain / pasted from Word / GBK labelled UTF-8; PDF in
   WenQuanYi / STSong, some with the application table split over two pages).  DOC
   files are converted by LibreOffice in batches (one ``soffice`` call per batch).
   The files are written to ``--out`` (default bench/out/extract_speed) and reused by
   later runs with the same records and renderer code.
2. Times ``extract.api.extract_bytes`` in-process on every file of each format and
   prints reports/s, the mean time per report, errors, and how many extracted the
   three tables exactly as generated.
3. For PDF, also times a plain pypdfium2 text dump of the same files (open, every
   page ``get_textpage().get_text_range()``) and prints ours/dump (goal: ≤ 10×).

Peak RSS (resource.getrusage) is printed at the end.  ``--no-extract`` runs only the
generation and the PDF dump (for when the extractor is not available).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.replica import render as R  # noqa: E402
from tests.replica import synth  # noqa: E402

TABLES = ("active_disclosure", "applications", "reviews")
# per format, the rendering variants the corpus rotates through
VARIANTS: dict[str, list[dict]] = {
    "text": [{}],
    "html": [{}, {"word": True, "container": "zoom"}, {"encoding": "gbk", "declared": "utf-8"}, {"container": "hap"}],
    "pdf": [{}, {"font": "stsong"}, {"split_applications": True}],
    "docx": [{}],
    "doc": [{}],
}
DOC_BATCH = 50


def generate(n: int, seed: int, formats: list[str], out: Path) -> dict[str, list[Path]]:
    """Render the corpus into `out` (reusing files from an earlier run with the same n and seed)."""
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    records = synth.make_corpus(n, seed=seed)
    text = json.dumps(records, ensure_ascii=False)
    sources = b"".join(Path(m.__file__).read_bytes() for m in (synth, R))
    digest = hashlib.sha256(text.encode() + sources).hexdigest()
    if manifest.get("records") != digest:  # other records or renderers: render anew
        manifest = {"n": n, "seed": seed, "records": digest, "formats": {}}
    (out / "records.json").write_text(text)
    files: dict[str, list[Path]] = {}
    for fmt in formats:
        paths = [out / fmt / f"r{i:05d}{R.EXTENSIONS[fmt]}" for i in range(n)]
        if manifest["formats"].get(fmt) == n and all(p.exists() for p in paths):
            files[fmt] = paths
            continue
        (out / fmt).mkdir(exist_ok=True)
        t0 = time.perf_counter()
        if fmt == "doc":
            for start in range(0, n, DOC_BATCH):
                chunk = range(start, min(n, start + DOC_BATCH))
                docx = [R.render(records[i], "docx") for i in chunk]
                for i, data in zip(chunk, R.docx_to_doc_many(docx, timeout=600)):
                    paths[i].write_bytes(data)
        else:
            variants = VARIANTS[fmt]
            for i, rec in enumerate(records):
                paths[i].write_bytes(R.render(rec, fmt, **variants[i % len(variants)]))
        print(f"  generated {n} {fmt} in {time.perf_counter() - t0:.1f} s", flush=True)
        manifest["formats"][fmt] = n
        manifest_path.write_text(json.dumps(manifest))
        files[fmt] = paths
    return files


def time_extract(paths: list[Path], records: list[dict]) -> dict:
    from extract.api import extract_bytes

    datas = [p.read_bytes() for p in paths]
    errors, exact, first_error = 0, 0, ""
    t0 = time.perf_counter()
    for data, path, rec in zip(datas, paths, records):
        try:
            got = extract_bytes(data, filename=path.name)
        except Exception as exc:  # count and go on: the bench measures, the tests judge
            errors += 1
            first_error = first_error or f"{path.name}: {type(exc).__name__}: {exc}"[:160]
            continue
        exact += all(got.get(t) == rec[t] for t in TABLES)
    elapsed = time.perf_counter() - t0
    return {"seconds": elapsed, "errors": errors, "exact": exact, "first_error": first_error}


def time_pdf_dump(paths: list[Path]) -> float:
    import pypdfium2 as pdfium

    datas = [p.read_bytes() for p in paths]
    t0 = time.perf_counter()
    for data in datas:
        pdf = pdfium.PdfDocument(data)
        for page in pdf:
            text_page = page.get_textpage()
            text_page.get_text_range()
            text_page.close()
            page.close()
        pdf.close()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100, help="reports per format (default 100)")
    ap.add_argument("--formats", default="text,html,pdf,docx,doc")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "extract_speed")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-extract", action="store_true", help="only generate and time the plain PDF dump")
    args = ap.parse_args(argv)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = set(formats) - set(R.FORMATS)
    if unknown or args.n < 1:
        ap.error(f"unknown formats {sorted(unknown)}; choose from {R.FORMATS}" if unknown else "--n must be ≥ 1")

    print(f"corpus: {args.n} synthetic reports × {formats} → {args.out}")
    t0 = time.perf_counter()
    files = generate(args.n, args.seed, formats, args.out)
    records = json.loads((args.out / "records.json").read_text())
    print(f"  ready in {time.perf_counter() - t0:.1f} s\n")

    rows = []
    for fmt in formats:
        paths = files[fmt]
        mb = sum(p.stat().st_size for p in paths) / 1e6
        res = None if args.no_extract else time_extract(paths, records)
        dump = time_pdf_dump(paths) if fmt == "pdf" else None
        rows.append((fmt, len(paths), mb, res, dump))

    print(f"{'format':<7}{'files':>6}{'MB':>7}{'reports/s':>11}{'ms/report':>11}{'errors':>8}{'exact':>7}"
          f"{'dump/s':>9}{'ours/dump':>11}")
    for fmt, n, mb, res, dump in rows:
        ok = res is not None and res["errors"] < n  # a format whose every file failed has no speed
        rate = f"{n / res['seconds']:.1f}" if ok else "-"
        ms = f"{1000 * res['seconds'] / n:.1f}" if ok else "-"
        err = str(res["errors"]) if res else "-"
        exact = str(res["exact"]) if res else "-"
        drate = f"{n / dump:.1f}" if dump else "-"
        ratio = f"{res['seconds'] / dump:.1f}×" if (ok and dump) else "-"
        print(f"{fmt:<7}{n:>6}{mb:>7.1f}{rate:>11}{ms:>11}{err:>8}{exact:>7}{drate:>9}{ratio:>11}")
    for fmt, _, _, res, _ in rows:
        if res and res["first_error"]:
            print(f"  {fmt} first error: {res['first_error']}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {peak_mb:.0f} MB (this process; soffice conversions excluded)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
