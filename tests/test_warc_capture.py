"""Real Scrapy crawls of a local HTTP server, checked in the WARC bytes.

Run directly (`python tests/test_warc_capture.py BASE SPOOL ITEMS HANDLER`), this module is the crawl
script: a reactor cannot restart inside one pytest process, so each crawl runs in a subprocess.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import threading
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from crawler.extensions.warc_capture import CaptureTimeMiddleware, WarcCaptureExtension
from pipelines.state.digests import ArchivedPayload
from pipelines.warc.lint import lint_warc
from pipelines.warc.records import REVISIT_NOT_MODIFIED
from pipelines.warc.writer import RotatingWarcWriter

WARCIO = Path(sys.executable).with_name("warcio")
HTML = b"<html><head><title>t</title></head><body>" + b"<p>news</p>" * 200 + b"</body></html>"
GZIPPED = gzip.compress(HTML, mtime=0)
BINARY = bytes(range(256)) * 16
CHUNKS = [b"<html><body>", b"chunk " * 300, b"</body></html>"]
PATHS = [
    "/gzip",
    "/chunked",
    "/redirect",
    "/binary",
    "/cookies",
    "/search?q=news&page=2",
    "/flaky",
    "/missing",
    "/cut",
]
CONDITIONAL = "/conditional"  # requested with If-None-Match: answered 304


# --- the local site --------------------------------------------------------------------------------


class Site(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    attempts: dict[str, int] = {}  # noqa: RUF012 (per-server state, reset by serve())

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in [*headers, ("Content-Length", str(len(body)))]:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        Site.attempts[path] = Site.attempts.get(path, 0) + 1
        html = [("Content-Type", "text/html; charset=utf-8")]
        if path == "/robots.txt":
            self.reply(200, [("Content-Type", "text/plain")], b"User-agent: *\nDisallow: /private/\n")
        elif path == "/gzip":
            self.reply(200, [*html, ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")], GZIPPED)
        elif path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in CHUNKS:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/redirect":
            self.reply(301, [("Location", "/final?from=redirect")], b"")
        elif path == "/final":
            self.reply(200, html, b"<html>final " + self.path.encode() + b"</html>")
        elif path == "/binary":
            self.reply(200, [("Content-Type", "application/octet-stream")], BINARY)
        elif path == "/cookies":
            self.reply(200, [*html, ("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/")], HTML)
        elif path == "/search":
            self.reply(200, html, b"<html>results for " + self.path.encode() + b"</html>")
        elif path == "/cut":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.close_connection = True
        elif path == CONDITIONAL and self.headers.get("If-None-Match") == '"v1"':
            self.reply(304, [("ETag", '"v1"')], b"")
        elif path == "/flaky" and Site.attempts[path] == 1:
            self.reply(503, [("Retry-After", "0")], b"busy")
        elif path == "/flaky":
            self.reply(200, html, b"<html>fine now</html>")
        else:
            self.reply(404, html, b"<html>not found</html>")


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    Site.attempts = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# --- the crawl (subprocess side) ---------------------------------------------------------------------


@dataclass
class StandInSession:
    """What the capture needs of pipelines.run.session.ArchiveSession, nothing else (an empty dedup index)."""

    spool_root: Path
    crawl_id: str = "test-crawl"
    live_indexes: None = None
    closed: list[str] = field(default_factory=list)
    writers: list[RotatingWarcWriter] = field(default_factory=list)

    def capture_held(self, warc_key: str, holder: object) -> None:
        """No records file to keep open here."""

    def finish_ready_records(self) -> None:
        """No records file to finish."""

    def warc_closed(self, key: str) -> None:
        self.closed.append(key)

    def use_warc_writer(self, writer: RotatingWarcWriter) -> None:
        self.writers.append(writer)

    def archived_payload(self, url: str, payload_digest: str) -> None:
        return None

    def payload_written(self, payload: ArchivedPayload) -> None:
        """Nothing to remember: every capture of this crawl is written in full."""

    def finish(self) -> None:
        for writer in self.writers:
            writer.close()
        (self.spool_root / "closed.json").write_text(json.dumps(self.closed))


class StandInCapture(WarcCaptureExtension):
    @classmethod
    def session_for(cls, crawler: Crawler) -> StandInSession:
        from scrapy import signals

        session = StandInSession(Path(crawler.settings["SPOOL"]))
        crawler.signals.connect(session.finish, signal=signals.spider_closed)
        return session


def crawl(base: str, spool: str, items: str, handler: str) -> None:
    from scrapy import Spider
    from scrapy.crawler import AsyncCrawlerProcess

    class CaptureSpider(Spider):
        name = "capture"

        async def start(self) -> AsyncIterator[Request]:
            for path in PATHS:
                yield Request(base + path, dont_filter=True)
            yield Request(base + CONDITIONAL, headers={"If-None-Match": '"v1"'}, dont_filter=True)

        def parse(self, response: Response) -> Iterator[dict]:
            yield {"url": response.url, "status": response.status, "warc": response.meta.get("warc")}

    settings = {
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "SPOOL": spool,
        "WARC_MAX_SIZE": 3000,
        "WARC_OPERATOR": "tests",
        "USER_AGENT": "newsarchive-test/1",
        "ROBOTSTXT_OBEY": True,
        "RETRY_TIMES": 2,
        "HTTPERROR_ALLOW_ALL": True,
        "DOWNLOAD_FAIL_ON_DATALOSS": False,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "DOWNLOADER_MIDDLEWARES": {CaptureTimeMiddleware: 1000},
        "EXTENSIONS": {StandInCapture: 100},
        "FEEDS": {items: {"format": "json"}},
    }
    if handler == "aiohttp":
        aiohttp = "scrapy.core.downloader.handlers._aiohttp.AiohttpDownloadHandler"
        settings["DOWNLOAD_HANDLERS"] = {"http": aiohttp}
    process = AsyncCrawlerProcess(settings)
    process.crawl(CaptureSpider)
    process.start()


# --- reading the results ----------------------------------------------------------------------------


@dataclass
class Capture:
    spool: Path
    items: list[dict]
    closed: list[str]

    def warcs(self) -> list[Path]:
        return sorted(self.spool.rglob("*.warc.gz"))

    def records(self) -> list[tuple]:
        """(warc headers, http headers, raw payload) of every record, in file order."""
        out = []
        for path in self.warcs():
            with open(path, "rb") as fh:
                for record in ArchiveIterator(fh):
                    out.append((record.rec_headers, record.http_headers, record.raw_stream.read()))
        return out

    def responses(self, path: str) -> list[tuple]:
        return [
            r
            for r in self.records()
            if r[0].get_header("WARC-Type") == "response"
            and urlsplit(r[0].get_header("WARC-Target-URI"))._replace(scheme="", netloc="").geturl() == path
        ]


def run_crawl(base: str, root: Path, handler: str) -> Capture:
    spool, items = root / "spool", root / "items.json"
    spool.mkdir(parents=True)
    result = subprocess.run(
        [sys.executable, __file__, base, str(spool), str(items), handler],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 0, result.stderr[-3000:]
    closed = json.loads((spool / "closed.json").read_text())
    return Capture(spool, json.loads(items.read_text()), closed)


@pytest.fixture(scope="module")
def twisted_crawl(site: str, tmp_path_factory: pytest.TempPathFactory) -> Capture:
    return run_crawl(site, tmp_path_factory.mktemp("twisted"), "twisted")


@pytest.fixture(scope="module")
def aiohttp_crawl(site: str, tmp_path_factory: pytest.TempPathFactory) -> Capture:
    pytest.importorskip("aiohttp")
    return run_crawl(site, tmp_path_factory.mktemp("aiohttp"), "aiohttp")


def header_values(http: StatusAndHeaders, name: str) -> list[str]:
    return [v for k, v in http.headers if k.lower() == name.lower()]


# --- the tests --------------------------------------------------------------------------------------


def test_files_are_valid_and_rotated(twisted_crawl: Capture) -> None:
    warcs = twisted_crawl.warcs()
    assert len(warcs) >= 3, "WARC_MAX_SIZE=3000 must rotate"
    assert not list(twisted_crawl.spool.rglob("*.open"))
    assert sorted(twisted_crawl.closed) == sorted(str(p.relative_to(twisted_crawl.spool)) for p in warcs)
    for path in warcs:
        assert lint_warc(path) == [], path
        check = subprocess.run([str(WARCIO), "check", "-v", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        with open(path, "rb") as fh:
            first = next(iter(ArchiveIterator(fh)))
        assert first.rec_headers.get_header("WARC-Type") == "warcinfo"
        assert first.rec_headers.get_header("WARC-Filename") == path.name
        info = first.content_stream().read().decode()
        for line in (
            "robots: obey",
            "isPartOf: test-crawl",
            "operator: tests",
            "http-header-user-agent: newsarchive-test/1",
        ):
            assert line in info
        assert "format: WARC File Format 1.1" in info and "software: newsarchive/" in info


def test_every_hop_is_archived_with_its_request(twisted_crawl: Capture) -> None:
    records = twisted_crawl.records()
    by_id = {r[0].get_header("WARC-Record-ID"): r for r in records}
    responses = [r for r in records if r[0].get_header("WARC-Type") == "response"]
    revisits = [r for r in records if r[0].get_header("WARC-Type") == "revisit"]
    requests = [r for r in records if r[0].get_header("WARC-Type") == "request"]
    assert len(responses) + len(revisits) == len(requests)
    for req in requests:
        resp = by_id[req[0].get_header("WARC-Concurrent-To")]
        assert resp[0].get_header("WARC-Type") in ("response", "revisit")
        assert resp[0].get_header("WARC-Target-URI") == req[0].get_header("WARC-Target-URI")
        assert resp[0].get_header("WARC-Date") == req[0].get_header("WARC-Date")
        assert resp[0].get_header("WARC-IP-Address") == "127.0.0.1"
        assert resp[0].get_header("WARC-Protocol") == "http/1.1"
        assert header_values(req[1], "Host") == [urlsplit(req[0].get_header("WARC-Target-URI")).netloc]
        assert header_values(req[1], "User-Agent") == ["newsarchive-test/1"]
    fetched = {urlsplit(r[0].get_header("WARC-Target-URI")).path for r in responses}
    assert fetched >= {"/robots.txt", "/redirect", "/final", "/missing", *(urlsplit(p).path for p in PATHS)}
    (redirect,) = twisted_crawl.responses("/redirect")
    assert redirect[1].statusline == "301 Moved Permanently"
    assert header_values(redirect[1], "Location") == ["/final?from=redirect"]
    assert len(twisted_crawl.responses("/final?from=redirect")) == 1
    assert [r[1].get_statuscode() for r in twisted_crawl.responses("/flaky")] == ["503", "200"]
    assert [r[1].get_statuscode() for r in twisted_crawl.responses("/missing")] == ["404"]


def test_gzip_body_is_stored_raw(twisted_crawl: Capture) -> None:
    ((_, http, body),) = twisted_crawl.responses("/gzip")
    assert body == GZIPPED
    assert header_values(http, "Content-Encoding") == ["gzip"]
    assert header_values(http, "Content-Length") == [str(len(GZIPPED))]


def test_chunked_body_gets_one_matching_content_length(twisted_crawl: Capture) -> None:
    ((_, http, body),) = twisted_crawl.responses("/chunked")
    assert body == b"".join(CHUNKS)
    assert header_values(http, "Content-Length") == [str(len(body))]
    assert header_values(http, "Transfer-Encoding") == []


def test_chunked_keeps_original_transfer_encoding_when_client_reports_it(aiohttp_crawl: Capture) -> None:
    """Twisted hides Transfer-Encoding from Scrapy; aiohttp reports it, so the rename is visible."""
    ((_, http, body),) = aiohttp_crawl.responses("/chunked")
    assert body == b"".join(CHUNKS)
    assert header_values(http, "Content-Length") == [str(len(body))]
    assert header_values(http, "Transfer-Encoding") == []
    assert header_values(http, "X-Orig-Transfer-Encoding") == ["chunked"]
    ((_, gz_http, gz_body),) = aiohttp_crawl.responses("/gzip")
    assert gz_body == GZIPPED and header_values(gz_http, "Content-Encoding") == ["gzip"]
    for path in aiohttp_crawl.warcs():
        assert lint_warc(path) == [], path


def test_cookies_binary_and_query(twisted_crawl: Capture) -> None:
    ((_, http, _),) = twisted_crawl.responses("/cookies")
    assert header_values(http, "Set-Cookie") == ["a=1; Path=/", "b=2; Path=/"]
    ((_, _, body),) = twisted_crawl.responses("/binary")
    assert body == BINARY
    (search,) = [
        r for r in twisted_crawl.records() if r[0].get_header("WARC-Type") == "request" and "/search" in r[1].statusline
    ]
    assert f"{search[1].protocol} {search[1].statusline}" == "GET /search?q=news&page=2 HTTP/1.1"


def test_lost_connection_is_marked_truncated(twisted_crawl: Capture) -> None:
    ((warc, http, body),) = twisted_crawl.responses("/cut")
    assert body == b"0123456789"
    assert warc.get_header("WARC-Truncated") == "disconnect"
    assert header_values(http, "Content-Length") == ["10"]
    assert header_values(http, "X-Orig-Content-Length") == ["1000"]


def test_each_capture_has_a_metadata_record_with_its_redirect_chain(twisted_crawl: Capture, site: str) -> None:
    records = twisted_crawl.records()
    metadata = {r[0].get_header("WARC-Refers-To"): r for r in records if r[0].get_header("WARC-Type") == "metadata"}
    for warc, _, _ in records:
        if warc.get_header("WARC-Type") == "response":
            about, _, body = metadata[warc.get_header("WARC-Record-ID")]
            assert about.get_header("WARC-Target-URI") == warc.get_header("WARC-Target-URI")
            assert about.get_header("WARC-Payload-Digest") is None
            assert b"fetchTimeMs: " in body
    ((final, _, _),) = twisted_crawl.responses("/final?from=redirect")
    assert f"redirectedFrom: {site}/redirect\r\n".encode() in metadata[final.get_header("WARC-Record-ID")][2]


def test_not_modified_answer_is_a_revisit(twisted_crawl: Capture) -> None:
    ((warc, http),) = [(r[0], r[1]) for r in twisted_crawl.records()
                       if r[0].get_header("WARC-Type") == "revisit"
                       and r[0].get_header("WARC-Target-URI").endswith(CONDITIONAL)]
    assert warc.get_header("WARC-Profile") == REVISIT_NOT_MODIFIED
    assert warc.get_header("WARC-Refers-To-Target-URI") == warc.get_header("WARC-Target-URI")
    assert http.get_statuscode() == "304" and header_values(http, "ETag") == ['"v1"']


def test_items_point_at_their_response_record(twisted_crawl: Capture) -> None:
    items = [item for item in twisted_crawl.items if not item["url"].endswith(CONDITIONAL)]
    assert len(items) == len(PATHS)
    for item in items:
        ref = item["warc"]
        assert set(ref) == {"key", "filename", "offset", "length", "record_id", "payload_digest", "revisit"}
        assert ref["revisit"] is None
        with open(twisted_crawl.spool / ref["key"], "rb") as fh:
            fh.seek(ref["offset"])
            member = fh.read(ref["length"])
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        data = inflater.decompress(member)
        assert inflater.eof and not inflater.unused_data
        (record,) = list(ArchiveIterator(BytesIO(data)))
        assert record.rec_headers.get_header("WARC-Type") == "response"
        assert record.rec_headers.get_header("WARC-Record-ID") == ref["record_id"]
        assert record.rec_headers.get_header("WARC-Payload-Digest") == ref["payload_digest"]
        assert record.rec_headers.get_header("WARC-Target-URI") == item["url"]


if __name__ == "__main__":
    crawl(*sys.argv[1:5])
