"""`tempose models fetch blazepose` against local fixtures: a fake mediapipe wheel on a PyPI-style
simple index and a fake @mediapipe/pose tarball on an npm-style registry, both on 127.0.0.1 (no
network), plus the per-file failure report."""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import io
import json
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from tempose.cli import main
from tempose.estimators.model_files import NPM_VERSION, fetch_blazepose


def _model(name: str) -> bytes:
    return b"\x1c\x00\x00\x00TFL3" + name.encode()  # a TFLite header and a recognisable body


FILES = ["pose_detection.tflite", "pose_landmark_lite.tflite", "pose_landmark_full.tflite",
         "pose_landmark_heavy.tflite"]  # fmt: skip
SUMS = {n: hashlib.sha256(_model(n)).hexdigest() for n in FILES}


def _wheel(path: Path, with_full: bool = True) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mediapipe/modules/pose_detection/pose_detection.tflite", _model(FILES[0]))
        if with_full:
            z.writestr("mediapipe/modules/pose_landmark/pose_landmark_full.tflite", _model(FILES[2]))
        info = "mediapipe-0.10.21.dist-info/"
        z.writestr(info + "METADATA", "Metadata-Version: 2.1\nName: mediapipe\nVersion: 0.10.21\n")
        z.writestr(info + "WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(info + "RECORD", "")
    return path


def _tarball() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name in (FILES[1], FILES[3]):
            data = _model(name)
            member = tarfile.TarInfo(f"package/{name}")
            member.size = len(data)
            tf.addfile(member, io.BytesIO(data))
    return buf.getvalue()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def registries(tmp_path):
    """Serve ``tmp_path/www`` on 127.0.0.1: /simple/mediapipe/ (pip) and /@mediapipe/pose (npm)."""
    root = tmp_path / "www"
    (root / "simple" / "mediapipe").mkdir(parents=True)
    _wheel(root / "simple" / "mediapipe" / "mediapipe-0.10.21-py3-none-any.whl")
    (root / "simple" / "mediapipe" / "index.html").write_text(
        '<a href="mediapipe-0.10.21-py3-none-any.whl">mediapipe-0.10.21-py3-none-any.whl</a>')
    tgz = _tarball()
    (root / "tarballs").mkdir()
    (root / "tarballs" / "pose.tgz").write_bytes(tgz)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    url = f"http://127.0.0.1:{server.server_port}"
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(tgz).digest()).decode()
    (root / "@mediapipe").mkdir()
    (root / "@mediapipe" / "pose").write_text(json.dumps(
        {"versions": {NPM_VERSION: {"dist": {"tarball": f"{url}/tarballs/pose.tgz", "integrity": integrity}}}}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url, root
    server.shutdown()
    server.server_close()


def test_fetch_from_pip_index_and_npm_registry(tmp_path, registries):
    url, _ = registries
    cache = tmp_path / "cache"
    pip_args = ["--isolated", "--index-url", f"{url}/simple"]
    report = fetch_blazepose(cache, pip_args=pip_args, npm_registry=url, checksums=SUMS)
    assert report == {n: "ok" for n in FILES}
    for name in FILES:
        assert (cache / name).read_bytes() == _model(name)
    assert fetch_blazepose(cache, npm_registry="http://127.0.0.1:9", checksums=SUMS) == {n: "cached" for n in FILES}


def test_fetch_reports_each_file_it_could_not_get(tmp_path, registries, capsys):
    url, root = registries
    wheel = _wheel(tmp_path / "mediapipe.whl", with_full=False)
    cache = tmp_path / "cache"
    rc = main(["models", "fetch", "blazepose", "--cache", str(cache), "--wheel", str(wheel), "--npm-registry", url])
    out = capsys.readouterr()
    lines = dict(line.split(": ", 1) for line in out.out.splitlines())
    assert rc == 1
    assert lines["pose_detection.tflite"] == "failed: mediapipe/modules/pose_detection/pose_detection.tflite: " \
        "unexpected sha256 (a different model version?)"  # the fixtures are not the pinned models
    assert "There is no item named" in lines["pose_landmark_full.tflite"]
    assert lines["pose_landmark_lite.tflite"].startswith("failed: package/pose_landmark_lite.tflite: unexpected")
    assert "could not get pose_detection.tflite, pose_landmark_lite.tflite" in out.err
    assert not list(cache.glob("*.tflite"))
    (root / "tarballs" / "pose.tgz").write_bytes(b"tampered")
    report = fetch_blazepose(cache, wheel=str(wheel), npm_registry=url, checksums=SUMS)
    assert report["pose_detection.tflite"] == "ok"
    assert "integrity check" in report["pose_landmark_heavy.tflite"]
    assert report["pose_landmark_lite.tflite"].startswith("failed: @mediapipe/pose tarball")
