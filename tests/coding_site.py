"""A local news site that sends every content coding, decompression bombs, an endless body and huge documents.

Articles come gzip, x-gzip, deflate (zlib and raw), br, zstd, stacked (gzip then br) and plain, each with words
of its own so a record shows which page it came from. Bombs (1 GiB of spaces after a valid start, in each coding)
are served as a page linked from the homepage, a sitemap named in robots.txt and a feed declared by the homepage;
one more is a sitemap that is a gzip file. The server logs every request with the exact bytes it sent.
Bombs are made once per machine and cached (NEWSARCHIVE_TOOL_CACHE or ~/.cache/newsarchive-tests).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import socket
import threading
import zlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import brotli
import yaml

from pipelines.warc.codings import zstd
from tests.serving import SiteServer, serve_site

ARTICLE_PATTERN = r"/news/\d{4}/\d{2}/\d{2}/"
CODINGS = ("gzip", "deflate", "br", "zstd")
ARTICLE_CODINGS = {  # page name → Content-Encoding header (None: not encoded)
    "gzip": "gzip", "x-gzip": "x-gzip", "deflate": "deflate", "deflate-raw": "deflate", "br": "br", "zstd": "zstd",
    "gzip-br": "gzip, br", "identity": None,
}
BOMB_SIZE = 1 << 30
BOMB_KINDS = ("page", "sitemap", "feed")
BOMB_STARTS = {
    "page": b"<!DOCTYPE html><html><head><title>Bomb</title></head><body><p>bomb</p>",
    "sitemap": b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    "feed": b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>bomb</title>',
}
ENDLESS_LIMIT = 300 << 20  # the server gives up after this much; the crawler must cut far earlier
HUGE_BYTES = 40 << 20
HUGE_SITEMAP_ARTICLE = "/news/2026/05/04/in-huge-sitemap"
WORDS = ("harbour", "council", "budget", "consultation", "residents", "engineers", "tide", "stone")


def article_html(name: str) -> str:
    """An article whose every paragraph names its page (`name`), so its record's text can be told apart."""
    token = token_of(name)
    paragraphs = "".join(
        f"<p>The {WORDS[i % 8]} report {token} says the harbour wall needs {i + 2} more months of work, and the "
        f"council will ask residents about the {WORDS[(i + 3) % 8]} plan before the spring budget is set.</p>"
        for i in range(6))
    return (f'<html lang="en"><head><meta charset="utf-8"><title>Harbour report {token}</title>'
            f'<meta property="og:type" content="article">'
            f'<meta property="article:published_time" content="2026-05-04T08:00:00Z"></head>'
            f"<body><article><h1>Harbour report {token}</h1>{paragraphs}</article></body></html>")


def token_of(name: str) -> str:
    """The word only article `name` has."""
    return "coded" + name.replace("-", "")


def encode(coding: str, body: bytes) -> bytes:
    """`body` in one coding; `deflate-raw` is deflate without the zlib wrapper (as IIS sends it)."""
    if coding in ("gzip", "x-gzip"):
        return gzip.compress(body)
    if coding == "deflate":
        return zlib.compress(body)
    if coding == "deflate-raw":
        compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        return compressor.compress(body) + compressor.flush()
    if coding == "br":
        return brotli.compress(body)
    if coding == "zstd":
        return zstd.compress(body)
    raise ValueError(coding)


def article_body(name: str) -> bytes:
    """The bytes sent for article `name`."""
    html = article_html(name).encode()
    if name == "gzip-br":
        return encode("br", encode("gzip", html))
    return html if name == "identity" else encode(name, html)


def cache_dir() -> Path:
    return Path(os.environ.get("NEWSARCHIVE_TOOL_CACHE") or Path.home() / ".cache" / "newsarchive-tests") / "bombs"


def bomb(coding: str, start: bytes) -> bytes:
    """`start`, then spaces up to BOMB_SIZE, in `coding`: a few KB to 1 MB that inflate to 1 GiB."""
    key = hashlib.sha256(start + coding.encode() + str(BOMB_SIZE).encode()).hexdigest()[:16]
    path = cache_dir() / f"{coding}-{key}.bin"
    if path.is_file():
        return path.read_bytes()
    chunk, count = b" " * (1 << 20), BOMB_SIZE >> 20
    if coding == "br":
        compressor = brotli.Compressor(quality=5)
        pieces = [compressor.process(start), *(compressor.process(chunk) for _ in range(count)), compressor.finish()]
    elif coding == "zstd":
        zc = zstd.ZstdCompressor(level=3)
        pieces = [zc.compress(start), *(zc.compress(chunk) for _ in range(count)), zc.flush()]
    else:
        zc = zlib.compressobj(9, zlib.DEFLATED, 31 if coding == "gzip" else zlib.MAX_WBITS)
        pieces = [zc.compress(start), *(zc.compress(chunk) for _ in range(count)), zc.flush()]
    data = b"".join(pieces)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(data)
    partial.replace(path)
    return data


@dataclass(frozen=True)
class Sent:
    """One request as the server saw it, and the body bytes it sent (None for streams)."""

    path: str
    headers: dict[str, str]
    body: bytes | None


@dataclass
class CodingSite:
    """What to serve: `cases` names the groups (articles, bombs of some codings, endless, huge)."""

    articles: tuple[str, ...] = tuple(ARTICLE_CODINGS)
    bomb_codings: tuple[str, ...] = ()
    file_bomb: bool = False
    endless: int = 0  # endless streams of each kind (chunked, close-delimited)
    huge: bool = False
    log: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.bombs = {(coding, kind): bomb(coding, BOMB_STARTS[kind])
                      for coding in self.bomb_codings for kind in BOMB_KINDS}
        self.gzip_file_bomb = bomb("gzip", BOMB_STARTS["sitemap"]) if self.file_bomb else b""
        self.huge_page = huge_page() if self.huge else b""
        self._huge_sitemaps: dict[str, bytes] = {}

    def sent(self, path: str) -> list[Sent]:
        with self.lock:
            return [entry for entry in self.log if entry.path == path]

    def record(self, entry: Sent) -> None:
        with self.lock:
            self.log.append(entry)

    # -- what is where

    def sitemap_paths(self) -> list[str]:
        paths = ["/sitemap.xml"] + [f"/bomb/sitemap-{coding}.xml" for coding in self.bomb_codings]
        paths += ["/bomb/sitemap-file.xml.gz"] if self.file_bomb else []
        return paths + (["/huge/sitemap.xml"] if self.huge else [])

    def feed_paths(self) -> list[str]:
        return ["/feed.xml"] + [f"/bomb/feed-{coding}.xml" for coding in self.bomb_codings]

    def page_links(self) -> list[str]:
        links = [article_path(name) for name in self.articles]
        links += [f"/bomb/page-{coding}" for coding in self.bomb_codings]
        links += [f"/stream/endless-{kind}?n={n}" for n in range(self.endless) for kind in ("chunked", "close")]
        return links + (["/huge/page"] if self.huge else [])

    def route(self, path: str, base: str) -> tuple[int, dict[str, str], bytes] | Callable[[socket.socket], None]:
        """(status, headers, body), or a function that streams the answer itself."""
        html, xml = {"Content-Type": "text/html; charset=utf-8"}, {"Content-Type": "application/xml"}
        if path == "/robots.txt":
            lines = "".join(f"Sitemap: {base}{p}\n" for p in self.sitemap_paths())
            return 200, {"Content-Type": "text/plain"}, f"User-agent: *\nAllow: /\n{lines}".encode()
        if path == "/":
            feeds = "".join(f'<link rel="alternate" type="application/rss+xml" href="{p}">' for p in self.feed_paths())
            links = "".join(f'<li><a href="{p}">{p}</a></li>' for p in self.page_links())
            return 200, html, f"<html><head>{feeds}</head><body><ul>{links}</ul></body></html>".encode()
        if path == "/sitemap.xml":
            return 200, xml, urlset([base + article_path("identity")])
        if path == "/feed.xml":
            return 200, {"Content-Type": "application/rss+xml"}, rss([base + article_path("gzip")])
        for name in self.articles:
            if path == article_path(name):
                coding = ARTICLE_CODINGS[name]
                return 200, {**html, **({"Content-Encoding": coding} if coding else {})}, article_body(name)
        for (coding, kind), body in self.bombs.items():
            if path == bomb_path(coding, kind):
                ctype = {"page": html["Content-Type"], "sitemap": "application/xml",
                         "feed": "application/rss+xml"}[kind]
                return 200, {"Content-Type": ctype, "Content-Encoding": coding}, body
        if path == "/bomb/sitemap-file.xml.gz" and self.file_bomb:
            return 200, {"Content-Type": "application/x-gzip"}, self.gzip_file_bomb
        if path.startswith("/stream/endless") and self.endless:
            return lambda sock: endless(sock, chunked=path.endswith("chunked"))
        if path == "/huge/sitemap.xml" and self.huge:
            with self.lock:
                body = self._huge_sitemaps.setdefault(base, huge_sitemap(base))
            return 200, xml, body
        if path == HUGE_SITEMAP_ARTICLE and self.huge:
            return 200, html, article_html("in-huge-sitemap").encode()
        if path == "/huge/page" and self.huge:
            return 200, html, self.huge_page
        return 404, html, b"<html><body>not here</body></html>"


def article_path(name: str) -> str:
    return f"/news/2026/05/04/coded-{name}"


def bomb_path(coding: str, kind: str) -> str:
    return f"/bomb/page-{coding}" if kind == "page" else f"/bomb/{kind}-{coding}.xml"


def urlset(urls: list[str]) -> bytes:
    entries = "".join(f"<url><loc>{url}</loc><lastmod>2026-05-04</lastmod></url>" for url in urls)
    return (f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{entries}</urlset>").encode()


def rss(urls: list[str]) -> bytes:
    items = "".join(f"<item><title>{url}</title><link>{url}</link></item>" for url in urls)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def huge_sitemap(base: str) -> bytes:
    """A valid 40 MB sitemap (1 MiB image captions per entry) whose every entry is one article listed nowhere else."""
    caption = "caption " * (1 << 17)
    entries = "".join(f"<url><loc>{base}{HUGE_SITEMAP_ARTICLE}</loc><image:image><image:loc>{base}/img/{i}.jpg"
                      f"</image:loc><image:caption>{caption}</image:caption></image:image></url>"
                      for i in range(HUGE_BYTES >> 20))
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">' + entries + "</urlset>").encode()


def huge_page() -> bytes:
    """A 40 MB HTML page of ordinary paragraphs (under every cap: it must be parsed, not skipped)."""
    paragraph = "<p>" + " ".join(WORDS) * 12 + "</p>\n"
    return ("<html><head><title>Huge</title></head><body>" + paragraph * (HUGE_BYTES // len(paragraph))
            + "</body></html>").encode()


def endless(sock: socket.socket, *, chunked: bool) -> None:
    """A 200 whose body never ends (chunked, or close-delimited), until ENDLESS_LIMIT or the client hangs up."""
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n"
            + (b"Transfer-Encoding: chunked\r\n" if chunked else b"") + b"\r\n")
    chunk = b"<p>" + b"endless stream of words " * 2700 + b"</p>\n"
    piece = b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk
    try:
        sock.sendall(head)
        for _ in range(ENDLESS_LIMIT // len(chunk)):
            sock.sendall(piece)
    except OSError:
        pass  # the crawler hung up at its cap, as it should


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SiteServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        site = self.server.site
        answer = site.route(self.path.split("?", 1)[0], f"http://{self.headers.get('Host')}")
        if callable(answer):
            site.record(Sent(self.path, dict(self.headers.items()), None))
            self.close_connection = True
            answer(self.connection)
            return
        status, headers, body = answer
        site.record(Sent(self.path, dict(self.headers.items()), body))
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            for start in range(0, len(body), 1 << 16):
                self.wfile.write(body[start:start + (1 << 16)])
        except OSError:
            pass


def serve_coding_site(site: CodingSite) -> AbstractContextManager[str]:
    """Serve `site` on 127.0.0.1; yields the base URL."""
    return serve_site(_Handler, site)


def sites_yaml(base: str, delay: float = 0) -> str:
    site = {"name": "codings", "homepage": base + "/", "allowed_domains": ["127.0.0.1"],
            "article_patterns": [ARTICLE_PATTERN], "language": "en", "delay": delay, "allow_private_network": True}
    return yaml.safe_dump({"sites": [site]}, sort_keys=False)
