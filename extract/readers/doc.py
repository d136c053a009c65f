"""DOC reader (also WPS and RTF-in-disguise where LibreOffice reads them).

The bytes go to a private temporary directory, LibreOffice converts them to
DOCX (each call with its own profile directory, so calls may run in
parallel), and :func:`extract.readers.docx.read` reads the result.  A timeout
kills soffice's whole process group.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from extract.document import Document
from extract.errors import ExtractError
from extract.readers import docx as docx_reader

__all__ = ["read", "convert_to_docx", "soffice_path"]

DEFAULT_TIMEOUT = 120.0
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def soffice_path() -> str | None:
    """The LibreOffice executable, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_docx(data: bytes, *, timeout: float = DEFAULT_TIMEOUT, suffix: str = ".doc") -> bytes:
    """Convert a word-processor file to DOCX bytes with headless LibreOffice."""
    exe = soffice_path()
    if exe is None:
        raise ExtractError("cannot read DOC: LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(prefix="nianbao-doc-") as tmp:
        work = Path(tmp)
        src = work / f"input{suffix}"
        src.write_bytes(data)
        out = work / "out"
        out.mkdir()
        profile = (work / "profile").as_uri()
        cmd = [
            exe, "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
            f"-env:UserInstallation={profile}",
            "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out), str(src),
        ]
        env = dict(os.environ, HOME=str(work))
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=env, cwd=tmp
        )
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise ExtractError(f"DOC conversion timed out after {timeout:g} s") from None
        finally:
            if proc.poll() is None:
                _kill_group(proc)
        result = out / "input.docx"
        if not result.exists() or result.stat().st_size == 0:
            detail = stderr.decode("utf-8", "replace").strip().splitlines()
            hint = f": {detail[-1]}" if detail else ""
            raise ExtractError(f"DOC conversion produced nothing (LibreOffice exit {proc.returncode}{hint})")
        return result.read_bytes()


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def read(data: bytes, *, url: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> Document:
    """Read DOC/WPS bytes into a Document (format "doc") via a LibreOffice DOCX conversion."""
    if not data:
        raise ExtractError("empty DOC file")
    warnings: list[str] = []
    suffix = ".doc"
    if data.startswith(b"{\\rtf"):
        suffix = ".rtf"
        warnings.append("DOC file is RTF")
    elif not data.startswith(_OLE_MAGIC):
        warnings.append("DOC file lacks the OLE2 signature")
    doc = docx_reader.read(convert_to_docx(data, timeout=timeout, suffix=suffix), url=url)
    doc.format = "doc"
    doc.warnings = warnings + doc.warnings
    return doc
