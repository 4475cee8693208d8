"""The response size cap cuts big bodies and archives the cut part; nothing over the cap is dropped."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from warcio.archiveiterator import ArchiveIterator

from pipelines.store.factory import open_store
from pipelines.warc.lint import lint_warc
from tests.archive_checks import ArchiveContents
from tests.conftest import run_cli

CAP = 10_000
BIG = b"<html><body>" + b"<p>a long page</p>" * 20_000 + b"</body></html>"  # ~360 KB, sent in many chunks


class BigPage(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        body = BIG if self.path == "/" else b"not here"
        self.send_response(200 if self.path == "/" else 404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for start in range(0, len(body), 4096):
                self.wfile.write(body[start:start + 4096])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler hung up at the cap, as it should


@pytest.fixture(scope="module")
def big_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BigPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_big_response_is_archived_cut_and_marked_truncated(big_site: str, tmp_path: Path) -> None:
    sites = tmp_path / "sites.yaml"
    sites.write_text(yaml.safe_dump({"sites": [{"name": "big", "homepage": big_site + "/", "delay": 0,
                                                "allow_private_network": True}]}))
    archive = tmp_path / "archive"
    result = run_cli("crawl", "--sites", str(sites), env={
        "ARCHIVE_URI": str(archive), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"),
        "NEWSARCHIVE_ARCHIVE_MAX_RESPONSE_SIZE": str(CAP)})
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    contents = ArchiveContents.read(open_store(str(archive)))
    home = contents.responses()[big_site + "/"]
    assert home.http_status == "200"
    assert CAP < len(home.raw_payload) < len(BIG), "cut just after the cap, not dropped, not whole"
    assert BIG.startswith(home.raw_payload)
    (warc,) = archive.rglob("*.warc.gz")
    assert lint_warc(warc) == []
    assert b"WARC-Truncated: length" in _warc_headers(warc, big_site + "/")
    (report,) = contents.reports
    assert report["counts"]["responses"] >= 2  # robots.txt and the page


def _warc_headers(path: Path, uri: str) -> bytes:
    """The WARC header block of the response record for `uri`."""
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "response" and record.rec_headers.get_header("WARC-Target-URI") == uri:
                return record.rec_headers.to_bytes()
    raise AssertionError(f"no response for {uri}")
