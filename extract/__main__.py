"""Command line: ``python -m extract FILE [--json]`` and ``python -m extract rebuild``."""
from __future__ import annotations

import argparse
import json
import sys

from .errors import ExtractError
from .summary import render_summary


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "rebuild":
        from .rebuild import main as rebuild_main

        return rebuild_main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m extract",
        description="Extract the report record from one annual-report document "
        "(HTML, PDF, DOCX, DOC, text). `python -m extract rebuild --help` re-extracts the archive.",
    )
    parser.add_argument("file", help="the document (format is sniffed from its bytes)")
    parser.add_argument("--json", action="store_true", help="print the report record as JSON")
    parser.add_argument("--region-code", help="GB/T 2260 code of the publishing area, when known")
    parser.add_argument("--url", help="the URL the document was fetched from")
    args = parser.parse_args(argv)

    from .api import extract_file

    try:
        record = extract_file(args.file, url=args.url, region_code=args.region_code)
    except ExtractError as exc:
        print(f"{args.file}: {exc.reason}", file=sys.stderr)
        return exc.exit_status
    if args.json:
        json.dump(record, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_summary(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
