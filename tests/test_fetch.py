"""Tests for gui64.fetch: downloads from a throwaway 127.0.0.1 server (good, cut-off, wrong, missing)."""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading

import pytest

from gui64 import cli, fetch, models
from gui64.fetch import FetchCancelled, FetchError, download_models

NAMES = ("stories260K.bin", "tok512.bin")


class _Handler(http.server.BaseHTTPRequestHandler):
    """/good/NAME serves the real file, /cut/NAME stops half-way, /wrong/NAME sends other bytes."""

    files: dict[str, bytes] = {}
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.hits.append(self.path)
        kind, _, name = self.path.strip("/").partition("/")
        body = self.files.get(name)
        if body is None or kind not in ("good", "cut", "wrong"):
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if kind == "good":
            self.wfile.write(body)
        elif kind == "cut":
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
        else:
            self.wfile.write(bytes(len(body)))

    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the client hanging up mid-body (cancel, cut-off tests) is expected here


@pytest.fixture
def server(model_files, monkeypatch):
    """Base URL of a local server holding the real model files; proxies bypassed for it."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setattr(_Handler, "files", {p.name: p.read_bytes()
                                            for p in (model_files.checkpoint, model_files.tokenizer)})
    monkeypatch.setattr(_Handler, "hits", [])
    httpd = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name not in NAMES)


def test_downloads_both_files_checks_them_and_reports_progress(server, tmp_path):
    seen = []
    files = download_models(tmp_path, progress=lambda *a: seen.append(a), url_base=f"{server}/good", timeout=5)
    assert files.checkpoint == tmp_path / "stories260K.bin" and files.tokenizer == tmp_path / "tok512.bin"
    for path in (files.checkpoint, files.tokenizer):
        assert hashlib.sha256(path.read_bytes()).hexdigest() == models.SHA256[path.name]
    assert _leftovers(tmp_path) == []
    done = [d for name, d, _ in seen if name == "stories260K.bin"]
    assert done == sorted(done) and done[-1] == files.checkpoint.stat().st_size
    assert seen[-1] == ("tok512.bin", 6227, 6227)


def test_good_copies_are_kept_unless_forced(server, tmp_path):
    download_models(tmp_path, url_base=f"{server}/good", timeout=5)
    assert len(_Handler.hits) == 2
    download_models(tmp_path, url_base=f"{server}/good", timeout=5)
    assert len(_Handler.hits) == 2
    download_models(tmp_path, url_base=f"{server}/good", force=True, timeout=5)
    assert len(_Handler.hits) == 4


def test_cut_off_body_leaves_nothing_and_keeps_the_old_file(server, tmp_path):
    (tmp_path / "stories260K.bin").write_bytes(b"old")
    with pytest.raises(FetchError, match="stories260K.bin"):
        download_models(tmp_path, url_base=f"{server}/cut", force=True, timeout=5)
    assert (tmp_path / "stories260K.bin").read_bytes() == b"old"
    assert not (tmp_path / "tok512.bin").exists()
    assert _leftovers(tmp_path) == []


def test_wrong_content_is_discarded(server, tmp_path):
    with pytest.raises(FetchError, match="SHA-256"):
        download_models(tmp_path, url_base=f"{server}/wrong", timeout=5)
    assert list(tmp_path.iterdir()) == []


def test_missing_file_reports_the_status(server, tmp_path):
    with pytest.raises(FetchError, match="404"):
        download_models(tmp_path, url_base=f"{server}/nothing-here", timeout=5)
    assert list(tmp_path.iterdir()) == []


def test_refused_connection_is_a_fetch_error(tmp_path, monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the download starts: nobody listens
    with pytest.raises(FetchError, match="network"):
        download_models(tmp_path, url_base=f"http://127.0.0.1:{port}", timeout=5)
    assert list(tmp_path.iterdir()) == []


def test_cancel_stops_between_chunks_and_leaves_nothing(server, tmp_path):
    cancel = threading.Event()
    with pytest.raises(FetchCancelled):
        download_models(tmp_path, progress=lambda *a: cancel.set(), cancel=cancel,
                        url_base=f"{server}/good", timeout=5)
    assert list(tmp_path.iterdir()) == []


def test_cli_downloads_with_env_url_and_draws_a_progress_bar(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(fetch.ENV_MODEL_URL, f"{server}/good")
    assert cli.main(["fetch-model", "--dest", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "100%" in err and "stories260K.bin" in err and "tok512.bin" in err
    assert str(tmp_path) in out
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(NAMES)


def test_cli_failure_is_one_line_and_nonzero(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(fetch.ENV_MODEL_URL, f"{server}/wrong")
    assert fetch.main(["--dest", str(tmp_path), "--force"]) == 1
    err = capsys.readouterr().err
    last = err.rstrip("\n").split("\n")[-1]
    assert last.startswith("gui64 fetch-model: Download of stories260K.bin") and "\r" not in last
    assert list(tmp_path.iterdir()) == []
