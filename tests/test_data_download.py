import functools
import json
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from tempose.cli import main
from tempose.data.download import BRACE_URLS, download, download_brace
from tempose.data.readers.brace import read_brace
from tempose.errors import InputError


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server(tmp_path):
    """A local HTTP server on 127.0.0.1 serving BRACE-format fixture zips."""
    root = tmp_path / "www"
    root.mkdir()
    frames = {f"vid1/img-{f:06d}.png": {"box": [0, 0, 10, 10, 1], "keypoints": [[f, 2.0, 1.0]] * 17}
              for f in (1, 2, 3)}
    with zipfile.ZipFile(root / "dataset.zip", "w") as zf:
        zf.writestr("dataset/2011/vid1/vid1_1-3_toprock.json", json.dumps(frames))
    buf = tmp_path / "m.npz"
    np.savez(buf, coco_joints2d=np.full((17, 3), 7.0))
    with zipfile.ZipFile(root / "manual_keypoints.zip", "w") as zf:
        zf.write(buf, "manual_keypoints/2011/vid1/img-000002.npz")
    (root / "broken.zip").write_text("not a zip")
    with zipfile.ZipFile(root / "evil.zip", "w") as zf:
        zf.writestr("../evil.txt", "x")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_official_urls_are_the_readme_release_files():
    assert BRACE_URLS == {
        "dataset": "https://github.com/dmoltisanti/brace/releases/download/v1.0/dataset.zip",
        "manual_keypoints": "https://github.com/dmoltisanti/brace/releases/download/mk_v1.0/manual_keypoints.zip",
    }


def test_download_unzips_into_folders_the_reader_reads(server, tmp_path):
    folders = download_brace(tmp_path / "brace", mirror=server, progress=False)
    assert sorted(folders) == ["dataset", "manual_keypoints"]
    (video,) = read_brace(folders["dataset"], folders["manual_keypoints"])
    assert video.name == "vid1_1_3" and video.keypoints[1, 0].tolist() == [7.0, 7.0]
    assert sorted(p.name for p in (tmp_path / "brace").iterdir()) == ["dataset", "manual_keypoints"]
    again = download_brace(tmp_path / "brace", mirror=server + "/missing", progress=False)  # kept, no fetch
    assert again == folders


@pytest.mark.parametrize("name,match", [("absent", "download failed"), ("broken", "not a zip archive"),
                                        ("evil", "unsafe path")])
def test_failures_are_input_errors_and_leave_nothing(server, tmp_path, name, match):
    with pytest.raises(InputError, match=match) as err:
        download({name: f"{server}/{name}.zip"}, tmp_path / "d", progress=False)
    assert f"{name}.zip" in str(err.value)
    assert list((tmp_path / "d").iterdir()) == [] and not (tmp_path / "evil.txt").exists()


def test_cli_download(server, tmp_path, capsys):
    assert main(["data", "download", "brace", str(tmp_path / "b"), "--mirror", server, "--quiet"]) == 0
    assert "dataset: " in capsys.readouterr().out
    assert main(["data", "download", "brace", str(tmp_path / "c"), "--mirror", server + "/nope", "--quiet"]) == 2
