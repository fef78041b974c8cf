"""``boundaries fetch`` against a hostile server (issue 13): a download larger than the cap is
refused on its Content-Length before the body is read, or cut off while streaming, and nothing
is left behind. Never touches the internet: the server is on 127.0.0.1."""

from __future__ import annotations

import http.server
import threading
import time

import pytest
from click.testing import CliRunner

from geoverify.boundaries.fetch import FetchError, download, fetch_layer
from geoverify.io import limits

SENT: dict[str, int] = {}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):  # noqa: N802
        self.send_response(200)
        if self.path.startswith("/announced/"):
            # claims 2 GiB; sends a little and then waits: a client that trusted it would hang
            self.send_header("Content-Length", str(2 << 30))
            self.end_headers()
            self.wfile.write(b"x" * 1000)
            self.wfile.flush()
            time.sleep(2)
            return
        # no Content-Length: the body goes on until the client hangs up
        self.end_headers()
        sent = 0
        try:
            while sent < 50 << 20:
                self.wfile.write(b"y" * 65536)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
        SENT[self.path] = sent

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_download__announced_size_over_the_cap_is_refused_before_the_body(server, tmp_path):
    start = time.monotonic()
    with pytest.raises(FetchError, match=r"refused: the server announces 2,147,483,648 bytes, "
                                         r"more than the 1 MiB"):
        download(f"{server}/announced/x", tmp_path / "x.geojson", max_bytes=1 << 20)
    assert time.monotonic() - start < 1.5  # did not wait for (or read) the body
    assert not (tmp_path / "x.geojson").exists()


def test_download__endless_body_is_cut_off_at_the_cap(server, tmp_path):
    with pytest.raises(FetchError, match=r"the body passed 1,048,576 bytes"):
        download(f"{server}/endless/a", tmp_path / "x.geojson", max_bytes=1 << 20)
    assert not (tmp_path / "x.geojson").exists()


def test_fetch_layer__over_the_cap_installs_nothing_and_leaves_no_temp(server, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setenv("GEOVERIFY_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(limits, "MAX_FETCH_BYTES", 1 << 20)  # the default cap, made small
    with pytest.raises(FetchError, match="more than the 1 MiB"):
        fetch_layer("geoboundaries", "UKR", "ADM1", base_url=f"{server}/endless")
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert leftovers == []


def test_boundaries_fetch_cli__max_bytes_is_an_option_and_exit_3(server, tmp_path, monkeypatch):
    from geoverify.cli.main import cli

    monkeypatch.setenv("GEOVERIFY_DATA_DIR", str(tmp_path))
    r = CliRunner().invoke(cli, ["boundaries", "fetch", "geoboundaries", "UKR", "ADM1",
                                 "--base-url", f"{server}/endless", "--max-bytes", "100000"])
    assert r.exit_code == 3, r.output
    assert "more than the 100,000 bytes a boundary layer may have" in r.output
    assert "Traceback" not in r.output
    help_text = CliRunner().invoke(cli, ["boundaries", "fetch", "--help"]).output
    assert "--max-bytes" in help_text and "1073741824" in help_text
