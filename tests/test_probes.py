"""A site given only its homepage, declaring no sitemap or feed anywhere: common paths are probed quietly."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from pipelines.store.factory import open_store
from tests.archive_checks import ArchiveContents
from tests.conftest import run_cli

PROSE = "<p>" + "The city council agreed on Tuesday to keep the public library open later in summer. " * 12 + "</p>"


def article(n: int) -> bytes:
    return (f'<html lang="en"><head><title>Story {n}</title><meta property="og:type" content="article"></head>'
            f"<body><article><h1>Story {n}</h1>{PROSE}</article></body></html>").encode()


class Site(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Site.seen.append(self.path)
        host = self.headers["Host"]
        pages = {
            "/": b"<html><body><h1>Gazette</h1><p>Nothing linked here.</p></body></html>",
            "/robots.txt": b"User-agent: *\nDisallow:\n",
            "/news-sitemap.xml": (f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                  f"<url><loc>http://{host}/2024/05/01/one</loc></url>"
                                  f"<url><loc>http://{host}/2024/05/02/two</loc></url></urlset>").encode(),
            "/feed": b"<html><body>not a feed</body></html>",
            "/2024/05/01/one": article(1),
            "/2024/05/02/two": article(2),
        }
        body = pages.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/xml" if self.path.endswith(".xml") else "text/html")
        body = body or b"not found"
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Site.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_homepage_only_site_is_found_through_probed_sitemap(site: str, tmp_path: Path) -> None:
    sites = tmp_path / "sites.yaml"
    sites.write_text(f"sites:\n  - name: gazette\n    homepage: {site}\n    allow_private_network: true\n"
                     "    delay: 0\n")
    archive = tmp_path / "archive"
    result = run_cli("crawl", "--sites", str(sites),
                     env={"ARCHIVE_URI": str(archive), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool")})
    assert result.returncode == 0, result.stderr[-3000:]
    contents = ArchiveContents.read(open_store(str(archive)))
    assert sorted(r["url"].rsplit("/", 1)[1] for r in contents.records) == ["one", "two"]
    assert {"/sitemap.xml", "/news-sitemap.xml", "/feed", "/rss.xml"} <= set(Site.seen)
    (report,) = contents.reports
    assert report["counts"]["errors"] == 0, "a missing or wrong probed path is not an error"
