"""Fetch and unzip public dataset release files (BRACE) for users who have internet.

Nothing here runs at import or in the readers: only ``tempose data download`` calls it. Each zip
is downloaded to a temporary file, checked, extracted into a temporary folder beside the target
and renamed into place, so an interrupted download never leaves a half-written folder; a target
folder that already exists is kept as it is.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

from tqdm import tqdm

from tempose.errors import InputError

log = logging.getLogger(__name__)

# The release files named in BRACE's README (github.com/dmoltisanti/brace).
BRACE_URLS = {
    "dataset": "https://github.com/dmoltisanti/brace/releases/download/v1.0/dataset.zip",
    "manual_keypoints": "https://github.com/dmoltisanti/brace/releases/download/mk_v1.0/manual_keypoints.zip",
}


def _fetch(url: str, dest: Path, timeout: float, progress: bool) -> None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(dest, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=Path(url).name, disable=not progress) as bar:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    bar.update(len(chunk))
    except (urllib.error.URLError, OSError) as exc:
        raise InputError(f"download failed ({exc})", url) from None


def _extract(archive: Path, target: Path, url: str) -> None:
    if not zipfile.is_zipfile(archive):
        raise InputError("not a zip archive", url)
    with zipfile.ZipFile(archive) as zf:
        for member in zf.namelist():
            p = PurePosixPath(member)
            if p.is_absolute() or ".." in p.parts:
                raise InputError(f"unsafe path {member!r} in archive", url)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            zf.extractall(tmp)
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)


def download(urls: dict[str, str], directory: str | Path, timeout: float = 60.0,
             progress: bool = True) -> dict[str, Path]:
    """Download each ``name → url`` zip and extract it into ``directory/name``; returns the folders."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, url in urls.items():
        target = directory / name
        out[name] = target
        if target.exists():
            log.warning("%s exists; not downloading %s again", target, url)
            continue
        fd, part = tempfile.mkstemp(prefix=f".{name}.", suffix=".zip.part", dir=directory)
        os.close(fd)
        try:
            _fetch(url, Path(part), timeout, progress)
            _extract(Path(part), target, url)
        finally:
            Path(part).unlink(missing_ok=True)
    return out


def download_brace(directory: str | Path, mirror: str | None = None, timeout: float = 60.0,
                   progress: bool = True) -> dict[str, Path]:
    """Fetch BRACE's keypoints (``dataset``) and manual keypoints (``manual_keypoints``).

    ``mirror`` replaces the release URLs with ``<mirror>/dataset.zip`` and
    ``<mirror>/manual_keypoints.zip`` (a local copy, or a test server).
    """
    urls = BRACE_URLS if mirror is None else {k: f"{mirror.rstrip('/')}/{k}.zip" for k in BRACE_URLS}
    return download(urls, directory, timeout, progress)
