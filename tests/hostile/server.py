"""A hostile news site: every case is a path a normal crawl meets (homepage links, robots.txt sitemaps, feeds).

The server speaks HTTP/1.1 on raw sockets (one request per connection, `Connection: close`) so it can break
framing on purpose, and logs every response it sent: the bytes of the body as it went on the wire (before
chunking), whether it finished sending, and which case it belongs to. Tests compare that log with the WARCs.

It runs inside a private network namespace (see harness.py) where these names and addresses exist:
- `hostile.test` (127.0.0.1:8080): the site under test, `allow_private_network: true`;
- `captcha-storm.test`, `throttle-storm.test` (127.0.0.1:8080): two small sites that block the crawler;
- canaries on 127.0.0.2, 127.0.0.3, 169.254.169.254, [::1] and 127.0.0.1:80, and FTP canaries: they record any
  connection; a crawl that follows the site's traps must never reach one;
- `intranet.attacker.test` → 127.0.0.2, `metadata.hostile.test` → 169.254.169.254 (a name under the site's own
  domain that points at the metadata address).

`python -m tests.hostile.server --table` prints the case table of README.md.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import socketserver
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from html import escape
from pathlib import Path
from typing import Any

import brotli

from tests.hostile.texts import (
    CHINESE,
    ENGLISH,
    FRENCH,
    GERMAN,
    GREEK,
    JAPANESE,
    RUSSIAN,
    Text,
)

try:  # Python 3.14+
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:  # what Scrapy itself uses before 3.14
    from backports import zstd  # type: ignore[no-redef]

HOST = "hostile.test"
PORT = 8080
ORIGIN = f"http://{HOST}:{PORT}"
CAPTCHA_HOST = "captcha-storm.test"
THROTTLE_HOST = "throttle-storm.test"
ANCHOR_HOST = "anchors.test"
STORM_ARTICLES = 25
FTP_PORT = 2121
GOPHER_PORT = 7070

# Addresses that must never see a connection (bound in the namespace by harness.py).
CANARY_LISTENERS: tuple[tuple[str, int], ...] = (
    ("127.0.0.2", PORT), ("127.0.0.2", 80), ("127.0.0.3", PORT), ("127.0.0.3", 80),
    ("169.254.169.254", 80), ("169.254.169.254", PORT), ("::1", PORT), ("::1", 80), ("127.0.0.1", 80),
    ("127.0.0.1", FTP_PORT), ("127.0.0.2", 21), ("127.0.0.1", GOPHER_PORT),
)
# Where the names in HOSTS_FILE point (for attributing canary connections).
NAME_ADDRESSES = {"localhost": "127.0.0.1", "intranet.attacker.test": "127.0.0.2",
                  f"metadata.{HOST}": "169.254.169.254"}
HOSTS_FILE = f"""127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
127.0.0.1 {HOST} www.{HOST} {CAPTCHA_HOST} {THROTTLE_HOST} {ANCHOR_HOST}
127.0.0.2 intranet.attacker.test
169.254.169.254 metadata.{HOST}
"""

BOMB_SIZE = 1 << 30          # inflated size of each decompression bomb
ENDLESS_LIMIT = 400 << 20    # the server gives up on an endless stream after this many bytes (the crawler cuts first)
SLOW_LIMIT_S = 120.0         # ... and on a slow-loris after this long
HUGE_JSON_BYTES = 10 << 20
HUGE_PAGE_BYTES = 30 << 20
HUGE_SITEMAP_BYTES = 40 << 20
CAPTCHA_PAGE = (b'<html><head><title>Just a moment...</title></head><body><div class="g-recaptcha" '
                b'data-sitekey="x"></div><p>Verify you are human.</p></body></html>')


def payload_digest(body: bytes) -> str:
    """The WARC-Payload-Digest form of a body (sha1, base32)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()


def token(name: str) -> str:
    """A word unique to one case, so a record's text shows which page it came from."""
    return "HX" + hashlib.sha1(name.encode()).hexdigest()[:10].upper()


# -- cases ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    name: str
    klass: str
    path: str
    expect: str
    linked_from: tuple[str, ...] = ("home",)
    host: str = HOST
    article: bool = False              # a record must come out of it
    words: tuple[str, ...] = ()        # distinctive words the record's text must hold

    @property
    def url(self) -> str:
        return f"http://{self.host}:{PORT}{self.path}"

    @property
    def crawl(self) -> str:
        """Which crawl meets it: `main`, or `memory-<group>` (bombs, streams, huge documents, see MEMORY_GROUPS)."""
        if self.klass not in MEMORY_CLASSES:
            return "main"
        return "memory-" + next((g for g in CODINGS if self.name.endswith(f"-{g}")), "other")


@dataclass(frozen=True)
class Target:
    """Somewhere the crawler must never go."""

    name: str
    url: str
    klass: str  # ssrf | scheme


def targets(secret: Path) -> list[Target]:
    secret_url_path = secret.as_posix()
    data_html = base64.b64encode(b"<html><body>data-url-page</body></html>").decode()
    return [
        Target("metadata", "http://169.254.169.254/latest/meta-data/iam/security-credentials/", "ssrf"),
        Target("metadata-port", f"http://169.254.169.254:{PORT}/latest/", "ssrf"),
        Target("metadata-name", f"http://metadata.{HOST}/latest/meta-data/", "ssrf"),
        Target("loopback2", f"http://127.0.0.2:{PORT}/canary", "ssrf"),
        Target("loopback3", "http://127.0.0.3/canary", "ssrf"),
        Target("loopback-self-ip", f"http://127.0.0.1:{PORT}/canary", "ssrf"),
        Target("localhost", f"http://localhost:{PORT}/canary", "ssrf"),
        Target("zero", f"http://0.0.0.0:{PORT}/canary", "ssrf"),
        Target("ipv6-loopback", f"http://[::1]:{PORT}/canary", "ssrf"),
        Target("ipv4-mapped", f"http://[::ffff:127.0.0.2]:{PORT}/canary", "ssrf"),
        Target("decimal", f"http://2130706434:{PORT}/canary", "ssrf"),
        Target("octal", f"http://0177.0.0.2:{PORT}/canary", "ssrf"),
        Target("hex", f"http://0x7f000003:{PORT}/canary", "ssrf"),
        Target("private-name", f"http://intranet.attacker.test:{PORT}/canary", "ssrf"),
        Target("file-host", f"file://{HOST}{secret_url_path}", "scheme"),
        Target("file-local", f"file://{secret_url_path}", "scheme"),
        Target("file-etc", "file:///etc/passwd", "scheme"),
        Target("file-environ", "file:///proc/self/environ", "scheme"),
        Target("ftp", f"ftp://{HOST}:{FTP_PORT}/pub/index.html", "scheme"),
        Target("ftp-private", "ftp://127.0.0.2/pub/", "scheme"),
        Target("s3", "s3://newsarchive-canary-bucket/secret.html", "scheme"),
        Target("data", f"data:text/html;base64,{data_html}", "scheme"),
        Target("javascript", "javascript:fetch('/x')", "scheme"),
        Target("gopher", f"gopher://{HOST}:{GOPHER_PORT}/_GET", "scheme"),
    ]


CODINGS = ("gzip", "deflate", "br", "zstd")
# Cases crawled on their own: today they block the reactor for tens of seconds each, which would make the
# timing of every other case depend on them.
MEMORY_CLASSES = frozenset({"bomb", "stream", "huge"})
# The memory cases are crawled in five runs (one per coding, then the rest), each into its own archive: today a
# response is inflated whole as soon as it is downloaded, and all thirteen bombs at once exceed the machine.
MEMORY_GROUPS = (*CODINGS, "other")


def encode(coding: str, body: bytes) -> bytes:
    if coding in ("gzip", "x-gzip"):
        compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
        return compressor.compress(body) + compressor.flush()
    if coding == "deflate":
        return zlib.compress(body)
    if coding == "deflate-raw":
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        return compressor.compress(body) + compressor.flush()
    if coding == "br":
        return brotli.compress(body)
    if coding == "zstd":
        return zstd.compress(body)
    raise ValueError(coding)


def bomb(coding: str, prefix: bytes, cache: Path) -> bytes:
    """`prefix` followed by spaces up to BOMB_SIZE, content-coded; made once per machine (about 2 s each)."""
    key = hashlib.sha1(prefix + coding.encode() + str(BOMB_SIZE).encode()).hexdigest()[:16]
    path = cache / f"bomb-{coding}-{key}.bin"
    if path.exists():
        return path.read_bytes()
    chunk = b" " * (1 << 20)
    pieces: list[bytes] = []
    if coding == "br":
        compressor = brotli.Compressor(quality=5)
        pieces.append(compressor.process(prefix))
        pieces += [compressor.process(chunk) for _ in range(BOMB_SIZE >> 20)]
        pieces.append(compressor.finish())
    elif coding == "zstd":
        zc = zstd.ZstdCompressor(level=3)
        pieces.append(zc.compress(prefix))
        pieces += [zc.compress(chunk) for _ in range(BOMB_SIZE >> 20)]
        pieces.append(zc.flush())
    else:
        zlib_c = zlib.compressobj(9, zlib.DEFLATED, 31 if coding == "gzip" else 15)
        pieces.append(zlib_c.compress(prefix))
        pieces += [zlib_c.compress(chunk) for _ in range(BOMB_SIZE >> 20)]
        pieces.append(zlib_c.flush())
    data = b"".join(pieces)
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(path)
    return data


def article_html(name: str, text: Text = ENGLISH, *, head: str = "", body_extra: str = "",
                 charset_meta: str | None = "utf-8", published: str = "2026-05-04T08:00:00Z") -> str:
    """An ordinary article page: og:type article, a dated byline, the text's paragraphs and the case's token."""
    meta = f'<meta charset="{charset_meta}">' if charset_meta else ""
    paragraphs = "".join(f"<p>{escape(p, quote=False)}</p>" for p in text.paragraphs)
    return (f'<!DOCTYPE html><html lang="{text.lang}"><head>{meta}<title>{escape(text.title)} | Hostile Gazette</title>'
            f'<meta property="og:type" content="article">'
            f'<meta property="article:published_time" content="{published}">{head}</head>'
            f'<body><header><a href="/">Hostile Gazette</a></header><article><h1>{escape(text.title)}</h1>'
            f'<p class="byline">By Jane Doe</p>{paragraphs}<p>Reference {token(name)} for this report.</p>'
            f'</article>{body_extra}<footer>&copy; Hostile Gazette</footer></body></html>')


# -- the HTTP side ---------------------------------------------------------------------------------------------------

@dataclass
class Exchange:
    """One request, and what the server answered (or failed to)."""

    sock: socket.socket
    method: str
    target: str
    host: str
    headers: dict[str, str]
    phase: int
    entry: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.target.split("#", 1)[0]

    def send_raw(self, data: bytes) -> bool:
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def respond(self, status: int, body: bytes = b"", headers: list[tuple[str, bytes | str]] | None = None, *,
                content_type: str | None = "text/html; charset=utf-8", chunked: bool = False,
                case: str | None = None) -> None:
        """A well-formed response; logged with the body's bytes as they go on the wire (before chunking)."""
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}".encode()]
        all_headers: list[tuple[str, bytes | str]] = [("Date", formatdate(usegmt=True)), ("Server", "hostile/1")]
        if content_type is not None:
            all_headers.append(("Content-Type", content_type))
        all_headers += headers or []
        all_headers.append(("Connection", "close"))
        all_headers.append(("Transfer-Encoding", "chunked") if chunked else ("Content-Length", str(len(body))))
        for name, value in all_headers:
            lines.append(name.encode() + b": " + (value if isinstance(value, bytes) else value.encode("latin-1")))
        head = b"\r\n".join(lines) + b"\r\n\r\n"
        self.log(status, body, case=case, complete=False)
        if chunked:
            ok = self.send_raw(head)
            for start in range(0, len(body), 16384):
                ok = ok and self.send_raw(b"%x\r\n%s\r\n" % (len(body[start:start + 16384]), body[start:start + 16384]))
            ok = ok and self.send_raw(b"0\r\n\r\n")
        else:
            ok = self.send_raw(head + body) if len(body) < (1 << 20) else (
                self.send_raw(head) and self.send_raw(body))
        self.entry["complete"] = ok

    def log(self, status: int | None, body: bytes | None, *, case: str | None, complete: bool,
            fault: str | None = None) -> None:
        self.entry.update(status=status, case=case, complete=complete, fault=fault,
                          body_len=None if body is None else len(body),
                          digest=None if body is None else payload_digest(body))


REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 304: "Not Modified", 404: "Not Found",
           429: "Too Many Requests", 503: "Service Unavailable", 500: "Internal Server Error"}


class HostileSite:
    """The cases and their handlers; `log` holds one entry per request (thread-safe)."""

    def __init__(self, secret: Path, cache: Path, profile: str = "main") -> None:
        self.profile = profile
        self.secret = secret
        self.cache = cache
        self.phase = 1
        self.log: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.attempts: dict[str, int] = {}
        self.targets = targets(secret)
        self.cases: list[Case] = []
        self.routes: dict[tuple[str, str], Callable[[Exchange], None]] = {}
        self.bombs = {(coding, kind): bomb(coding, prefix, cache)
                      for coding in CODINGS for kind, prefix in BOMB_PREFIXES.items()}
        self.file_bomb = bomb("gzip", BOMB_PREFIXES["sitemap"], cache)
        self._define()

    # -- registry

    def case(self, name: str, klass: str, path: str, expect: str, handler: Callable[[Exchange], None], *,
             linked_from: tuple[str, ...] = ("home",), host: str = HOST, article: bool = False,
             words: tuple[str, ...] = ()) -> Case:
        found = Case(name, klass, path, expect, linked_from, host, article, words)
        assert name not in {c.name for c in self.cases}, name
        self.cases.append(found)
        self.routes[(host, path.split("?", 1)[0])] = handler
        return found

    def by_name(self, name: str) -> Case:
        return next(c for c in self.cases if c.name == name)

    def article(self, name: str, text: Text = ENGLISH, **kw: Any) -> Callable[[Exchange], None]:
        html = article_html(name, text, **kw).encode("utf-8")
        return lambda ex: ex.respond(200, html, case=name)

    def _define(self) -> None:
        self._define_codings()
        self._define_bombs()
        self._define_faults()
        self._define_redirects()
        self._define_targets()
        self._define_scope()
        self._define_politeness()
        self._define_traps()
        self._define_budget()
        self._define_headers()
        self._define_charsets()
        self._define_odd_pages()

    def _define_codings(self) -> None:
        for coding in ("gzip", "x-gzip", "deflate", "deflate-raw", "br", "zstd"):
            name = f"coding-{coding}"
            raw = article_html(name).encode()
            body = encode(coding, raw)
            header = "deflate" if coding == "deflate-raw" else coding
            self.case(name, "coding", f"/news/coding/{coding}",
                      f"Content-Encoding: {header} article archived raw (bytes as sent, header kept), text extracted",
                      self._coded(name, body, header), article=True, words=ENGLISH.words)
        name = "coding-gzip-then-br"
        stacked = encode("br", encode("gzip", article_html(name).encode()))
        self.case(name, "coding", "/news/coding/gzip-br", "Content-Encoding: gzip, br (stacked) archived raw, text "
                  "extracted", self._coded(name, stacked, "gzip, br"), article=True, words=ENGLISH.words)

    @staticmethod
    def _coded(name: str, body: bytes, coding: str) -> Callable[[Exchange], None]:
        return lambda ex: ex.respond(200, body, [("Content-Encoding", coding), ("Vary", "Accept-Encoding")], case=name)

    def _define_bombs(self) -> None:
        for coding in CODINGS:
            for kind, path, ctype, via in (
                    ("page", f"/bomb/page-{coding}", "text/html; charset=utf-8", ("home",)),
                    ("sitemap", f"/sitemaps/bomb-{coding}.xml", "application/xml", ("sitemap-index",)),
                    ("feed", f"/feeds/bomb-{coding}.xml", "application/rss+xml", ("home-feed-link",))):
                name = f"bomb-{kind}-{coding}"
                body = self.bombs[(coding, kind)]
                self.case(name, "bomb", path, f"{coding} bomb ({BOMB_SIZE >> 30} GiB inflated) as a {kind}: memory "
                          "bounded, raw bytes archived, the crawl goes on",
                          self._bomb(name, body, coding, ctype), linked_from=via)
        self.case("bomb-sitemap-file-gz", "bomb", "/sitemaps/bomb-file.xml.gz",
                  "a .xml.gz sitemap file (no Content-Encoding) inflating to 1 GiB: memory bounded, archived raw",
                  lambda ex: ex.respond(200, self.file_bomb, content_type="application/x-gzip",
                                        case="bomb-sitemap-file-gz"), linked_from=("sitemap-index",))
        self.case("stream-endless-chunked", "stream", "/stream/endless-chunked",
                  "endless chunked body: cut at ARCHIVE_MAX_RESPONSE_SIZE, archived with WARC-Truncated, memory "
                  "bounded",
                  lambda ex: self._endless(ex, "stream-endless-chunked", chunked=True))
        self.case("stream-endless-close", "stream", "/stream/endless-close",
                  "endless body without length (close-delimited): cut at the cap, archived truncated",
                  lambda ex: self._endless(ex, "stream-endless-close", chunked=False))
        for group in MEMORY_GROUPS:
            self.case(f"control-article-{group}", "bomb", f"/news/2026/05/04/control-{group}",
                      "ordinary article beside the bombs: recorded (one bad response never takes the run down)",
                      self.article(f"control-article-{group}"), article=True, words=ENGLISH.words)
        huge = self._huge_page()
        self.case("huge-page", "huge", "/news/huge/page-30mb",
                  "30 MB article with a 10 MB inline JSON blob: archived whole, the article's text extracted",
                  lambda ex: ex.respond(200, huge, case="huge-page"), article=True, words=ENGLISH.words)
        huge_sitemap = self._huge_sitemap()
        self.case("huge-sitemap", "huge", "/sitemaps/huge.xml",
                  "40 MB sitemap (1 MB captions): memory bounded, its entries are crawled",
                  lambda ex: ex.respond(200, huge_sitemap, content_type="application/xml", case="huge-sitemap"),
                  linked_from=("sitemap-index",))
        self.case("huge-sitemap-article", "huge", "/news/2026/05/04/from-huge-sitemap",
                  "article listed only in the huge sitemap: fetched and recorded",
                  self.article("huge-sitemap-article"), linked_from=("huge-sitemap",), article=True,
                  words=ENGLISH.words)

    def _bomb(self, name: str, body: bytes, coding: str, ctype: str) -> Callable[[Exchange], None]:
        return lambda ex: ex.respond(200, body, [("Content-Encoding", coding)], content_type=ctype, case=name)

    def _endless(self, ex: Exchange, name: str, *, chunked: bool) -> None:
        head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n"
                + (b"Transfer-Encoding: chunked\r\n" if chunked else b"") + b"\r\n")
        ex.log(200, None, case=name, complete=False, fault="endless")
        chunk = b"<p>" + b"endless stream of words " * 2700 + b"</p>\n"
        sent = 0
        if not ex.send_raw(head + (b"<html><body>" if not chunked else b"c\r\n<html><body>\r\n")):
            return
        while sent < ENDLESS_LIMIT:
            piece = b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk
            if not ex.send_raw(piece):
                break
            sent += len(chunk)
        ex.entry["sent"] = sent

    def _huge_page(self) -> bytes:
        blob = json.dumps({"props": {"pageProps": {"cache": ["x" * 1000] * (HUGE_JSON_BYTES // 1006)}}})
        name = "huge-page"
        filler_rows = "".join(f'<li><span class="c{i}">comment {i}</span></li>' for i in range(4000))
        script = "var bundle = [" + ",".join(['"' + "q" * 500 + '"'] * 18000) + "];"
        page = article_html(name, head=f'<script id="__NEXT_DATA__" type="application/json">{blob}</script>',
                            body_extra=f"<aside><ul>{filler_rows}</ul></aside><script>{script}</script>")
        data = page.encode()
        pad = HUGE_PAGE_BYTES - len(data)
        if pad > 0:  # inline SVG sprites, as some CMSs ship them
            data = data.replace(b"<footer>", b'<svg style="display:none"><path d="' + b"M0 0L1 1" * (pad // 8)
                                + b'"/></svg><footer>')
        return data

    def _huge_sitemap(self) -> bytes:
        caption = "caption " * (1 << 17)  # 1 MiB per entry
        entries = []
        for i in range(HUGE_SITEMAP_BYTES >> 20):
            loc = f"{ORIGIN}/news/2026/05/04/from-huge-sitemap" if i % 2 == 0 else f"{ORIGIN}/"
            entries.append(f"<url><loc>{loc}</loc><image:image><image:loc>{ORIGIN}/img/{i}.jpg</image:loc>"
                           f"<image:caption>{caption}</image:caption></image:image></url>")
        return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">' + "".join(entries)
                + "</urlset>").encode()

    def _define_faults(self) -> None:
        ok_head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n"
        page = article_html("fault").encode()

        def slow(ex: Exchange, data: bytes, name: str) -> None:
            ex.log(200, None, case=name, complete=False, fault="slow")
            deadline = time.monotonic() + SLOW_LIMIT_S
            for byte in data:
                if time.monotonic() > deadline or not ex.send_raw(bytes([byte])):
                    return
                time.sleep(1.0)

        def reset(ex: Exchange, data: bytes, name: str) -> None:
            ex.log(200, None, case=name, complete=False, fault="reset")
            ex.send_raw(data)
            ex.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            ex.sock.close()

        def raw(ex: Exchange, data: bytes, name: str, fault: str) -> None:
            ex.log(200, None, case=name, complete=False, fault=fault)
            ex.send_raw(data)

        def short_length(ex: Exchange) -> None:  # declares less than it sends: the client reads what was declared
            declared = page[:len(page) // 2]
            ex.log(200, declared, case="fault-length-short", complete=False)
            ex.entry["complete"] = ex.send_raw(ok_head + b"Content-Length: %d\r\n\r\n" % len(declared) + page)

        faults: list[tuple[str, str, Callable[[Exchange], None]]] = [
            ("slowloris-headers", "status line and headers at one byte per second",
             lambda ex: slow(ex, ok_head + b"Content-Length: 10\r\n\r\n0123456789", "fault-slowloris-headers")),
            ("slowloris-body", "body at one byte per second after normal headers",
             lambda ex: (ex.send_raw(ok_head + b"Content-Length: %d\r\n\r\n" % len(page))
                         and slow(ex, page, "fault-slowloris-body"))),
            ("reset-mid-body", "TCP reset half way through the body",
             lambda ex: reset(ex, ok_head + b"Content-Length: %d\r\n\r\n" % len(page) + page[:len(page) // 2],
                              "fault-reset-mid-body")),
            ("reset-before-status", "TCP reset before any byte of the response",
             lambda ex: reset(ex, b"", "fault-reset-before-status")),
            ("bad-chunk-size", "chunked body whose chunk size line is not hex",
             lambda ex: raw(ex, ok_head + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n" + page + b"\r\n0\r\n\r\n",
                            "fault-bad-chunk-size", "bad-chunk")),
            ("chunk-no-terminator", "chunked body that ends without the zero chunk (connection closed)",
             lambda ex: raw(ex, ok_head + b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % len(page) + page + b"\r\n",
                            "fault-chunk-no-terminator", "no-terminator")),
            ("length-long", "Content-Length larger than the body, then close",
             lambda ex: raw(ex, ok_head + b"Content-Length: %d\r\n\r\n" % (len(page) * 3) + page,
                            "fault-length-long", "length-long")),
            ("length-short", "Content-Length smaller than the body (extra bytes after it)", short_length),
            ("garbage-status", "status line that is not HTTP",
             lambda ex: raw(ex, b"HTTP/1.1 2OO KO\r\nContent-Length: 2\r\n\r\nhi", "fault-garbage-status",
                            "garbage-status")),
            ("http09", "no status line at all: an HTTP/0.9-style bare body",
             lambda ex: raw(ex, page, "fault-http09", "http09")),
            ("empty-reply", "connection closed without a byte", lambda ex: raw(ex, b"", "fault-empty-reply", "empty")),
        ]
        for short, what, handler in faults:
            name = f"fault-{short}"
            expect = ("no hang or crash, the crawl goes on"
                      + ("; captured with the declared bytes" if short == "length-short" else ""))
            self.case(name, "framing", f"/fault/{short}", f"{what}: {expect}", handler)

    def _define_redirects(self) -> None:
        def redirect(location: str, status: int = 302, name: str | None = None) -> Callable[[Exchange], None]:
            return lambda ex: ex.respond(status, b"", [("Location", location)], content_type=None, case=name)

        self.case("redirect-loop", "redirect", "/redirect/loop-a", "A → B → A … loop: ends, every hop archived",
                  redirect("/redirect/loop-b", name="redirect-loop"))
        self.routes[(HOST, "/redirect/loop-b")] = redirect("/redirect/loop-a", name="redirect-loop")
        self.case("redirect-self", "redirect", "/redirect/self", "redirect to itself: ends, archived",
                  redirect("/redirect/self", name="redirect-self"))
        self.case("redirect-chain", "redirect", "/redirect/chain/1",
                  "8-hop redirect chain to an article: record url is the end, requested_url the start",
                  redirect("/redirect/chain/2", 301, "redirect-chain"))
        for hop in range(2, 8):
            self.routes[(HOST, f"/redirect/chain/{hop}")] = redirect(f"/redirect/chain/{hop + 1}", 301,
                                                                     "redirect-chain")
        self.routes[(HOST, "/redirect/chain/8")] = redirect("/news/redirect/chain-end", 308, "redirect-chain")
        self.routes[(HOST, "/news/redirect/chain-end")] = self.article("redirect-chain")
        self.case("redirect-no-location", "redirect", "/redirect/no-location", "302 without Location: archived, no "
                  "crash", lambda ex: ex.respond(302, b"moved", case="redirect-no-location"))
        self.case("redirect-bad-location", "redirect", "/redirect/bad-location",
                  "Location header that is not a URL (http://[::1): archived, no crash",
                  redirect("http://[::1/broken", name="redirect-bad-location"))
        alias_target = "/news/2026/05/03/harbour-alias-3"
        self.case("alias-article", "redirect", alias_target, "article also reachable through the /story/3 alias: "
                  "one record", self.article("alias-article"), linked_from=("home", "feed"), article=True,
                  words=ENGLISH.words)
        self.case("alias-redirect", "redirect", "/story/3",
                  "301 alias of an archived article: not refetched by the next crawl, no second record with its id",
                  redirect(alias_target, 301, "alias-redirect"))

    def _define_targets(self) -> None:
        for target in self.targets:
            name = f"{target.klass}-redirect-{target.name}"
            self.case(name, target.klass, f"/{target.klass}/redirect/{target.name}",
                      f"302 to {target.url[:60]}: never requested",
                      lambda ex, t=target, n=name: ex.respond(302, b"", [("Location", t.url)], content_type=None,
                                                               case=n))
        links = "".join(f'<li><a href="{escape(t.url)}">{t.name}</a></li>' for t in self.targets)
        self.case("targets-links", "ssrf", "/ssrf/links",
                  "page linking to every forbidden target (metadata, other loopback, IPv6, decimal/octal/hex IPs, "
                  "file:, ftp:, s3:, data:, javascript:, gopher:): none requested, no local file read",
                  lambda ex: ex.respond(200, f"<html><body><h1>Links</h1><ul>{links}</ul></body></html>".encode(),
                                        case="targets-links"))
        for target_name in ("metadata", "loopback2", "ipv6-loopback", "file-host", "data", "javascript"):
            target = next(t for t in self.targets if t.name == target_name)
            name = f"refresh-{target_name}"
            html = (f'<html><head><meta http-equiv="refresh" content="0; url={escape(target.url)}"></head>'
                    f'<body><p>Moved.</p></body></html>').encode()
            self.case(name, target.klass, f"/{target.klass}/refresh/{target_name}",
                      f"meta refresh to {target.url[:50]}: never requested",
                      lambda ex, h=html, n=name: ex.respond(200, h, case=n))
        for target_name in ("metadata", "file-host"):
            target = next(t for t in self.targets if t.name == target_name)
            name = f"canonical-{target_name}"
            self.case(name, target.klass, f"/news/{target.klass}/canonical-{target_name}",
                      f"article whose rel=canonical is {target.url[:40]}: recorded, canonical never requested nor "
                      "used as the record's canonical_url",
                      self.article(name, head=f'<link rel="canonical" href="{escape(target.url)}">'),
                      article=True, words=ENGLISH.words)
        secret_dir = self.secret.parent.as_posix() + "/"
        for name, base, rel in (("base-file", f"file://{HOST}{secret_dir}", self.secret.name),
                                ("base-metadata", "http://169.254.169.254/", "latest/meta-data/"),
                                ("base-loopback", f"http://127.0.0.2:{PORT}/", "canary-from-base")):
            html = (f'<html><head><base href="{escape(base)}"></head><body><h1>Base</h1>'
                    f'<a href="{escape(rel)}">relative link</a></body></html>').encode()
            self.case(name, "scheme" if "file" in name else "ssrf", f"/page/{name}",
                      f"<base href={base[:40]}> with a relative link: the resolved URL is never requested",
                      lambda ex, h=html, n=name: ex.respond(200, h, case=n))

    def _define_scope(self) -> None:
        for source in ("link", "feed", "sitemap"):
            name = f"denied-from-{source}"
            self.case(name, "scope", f"/denied/from-{source}", f"URL matching deny_patterns found in a {source}: "
                      "never requested", self.article(name), linked_from=(source if source != "link" else "home",))
        for source in ("link", "sitemap"):
            name = f"robots-from-{source}"
            self.case(name, "scope", f"/private-by-robots/from-{source}",
                      f"URL disallowed by robots.txt found in a {source}: never requested", self.article(name),
                      linked_from=(source if source != "link" else "home",))
        for i in range(3):
            for source in ("feed", "sitemap"):
                name = f"one-bad-entry-{source}-{i}"
                self.case(name, "scope", f"/news/2026/05/0{i + 1}/good-entry-{source}-{i}",
                          f"good entry {i} of a {source} whose other entries are javascript:, file:, a broken IPv6 "
                          "URL and an over-long URL: fetched and recorded (one bad entry skips only itself)",
                          self.article(name), linked_from=(f"one-bad-entry-{source}",), article=True,
                          words=ENGLISH.words)
        self.case("feed-only-article", "scope", "/news/2026/05/04/feed-only", "article listed only in the RSS feed "
                  "(which also lists every forbidden target): recorded", self.article("feed-only-article"),
                  linked_from=("feed",), article=True, words=ENGLISH.words)
        self.case("sitemap-only-article", "scope", "/news/2026/05/04/sitemap-only", "article listed only in a "
                  "sitemap (which also lists every forbidden target): recorded", self.article("sitemap-only-article"),
                  linked_from=("sitemap",), article=True, words=ENGLISH.words)
        self.case("atom-only-article", "scope", "/news/2026/05/04/atom-only", "article listed only in the Atom feed: "
                  "recorded", self.article("atom-only-article"), linked_from=("atom",), article=True,
                  words=ENGLISH.words)

    def _define_politeness(self) -> None:
        def retry_after(name: str, status: int, value: Callable[[], str]) -> Callable[[Exchange], None]:
            html = article_html(name).encode()

            def handler(ex: Exchange) -> None:
                with self.lock:
                    self.attempts[name] = self.attempts.get(name, 0) + 1
                    first = self.attempts[name] == 1
                if first:
                    ex.respond(status, b"busy", [("Retry-After", value())], case=name)
                else:
                    ex.respond(200, html, case=name)
            return handler

        self.case("retry-after-429", "politeness", "/news/politeness/retry-after-429",
                  "429 with Retry-After: 2 once: retried no sooner than 2 s later, then recorded",
                  retry_after("retry-after-429", 429, lambda: "2"), article=True, words=ENGLISH.words)
        self.case("retry-after-503-date", "politeness", "/news/politeness/retry-after-503",
                  "503 with an HTTP-date Retry-After 3 s ahead once: retried no sooner, then recorded",
                  retry_after("retry-after-503-date", 503, lambda: formatdate(time.time() + 3, usegmt=True)),
                  article=True, words=ENGLISH.words)
        for host, name, what in ((CAPTCHA_HOST, "captcha-storm", "every article a captcha page (200)"),
                                 (THROTTLE_HOST, "throttle-storm", "every article 429 with Retry-After: 1")):
            links = "".join(f'<a href="/news/storm/{i}">Storm story number {i} of the day</a> '
                            for i in range(STORM_ARTICLES))
            home = f"<html><body><h1>{name}</h1>{links}</body></html>".encode()
            self.case(name, "politeness", "/", f"site with {what}: blocked (exit 5, named in the report) after a "
                      "bounded number of requests", lambda ex, h=home, n=name: ex.respond(200, h, case=n),
                      linked_from=("sites-file",), host=host)
            for i in range(STORM_ARTICLES):
                self.routes[(host, f"/news/storm/{i}")] = (
                    (lambda ex, n=name: ex.respond(200, CAPTCHA_PAGE, case=n)) if host == CAPTCHA_HOST else
                    (lambda ex, n=name: ex.respond(429, b"slow down", [("Retry-After", "1")], case=n)))

    def _define_budget(self) -> None:
        """A site of its own (the page budget is per site): in-page anchors must not count as pages."""
        anchors = "".join(f'<a href="/news/2026/05/04/discussed-story#comment-{i}">comment {i}</a> '
                          for i in range(2500))
        articles = [f"/news/2026/05/04/after-anchors-{i}" for i in (1, 2)]
        links = "".join(f'<a href="{path}">Story after the comment anchors</a> ' for path in articles)
        home = f"<html><body><h1>Anchors</h1><div>{anchors}</div>{links}</body></html>".encode()
        self.case("budget-anchors", "trap", "/", "homepage linking 2500 #comment-N anchors of one article before "
                  "its other article links: one URL, not 2500 pages of MAX_PAGES_PER_SITE (2000)",
                  lambda ex: ex.respond(200, home, case="budget-anchors"), linked_from=("sites-file",),
                  host=ANCHOR_HOST)
        self.case("discussed-story", "trap", "/news/2026/05/04/discussed-story", "the article behind the 2500 "
                  "anchors: fetched once, recorded", self.article("discussed-story"), linked_from=("budget-anchors",),
                  host=ANCHOR_HOST, article=True, words=ENGLISH.words)
        for i, path in enumerate(articles, 1):
            self.case(f"after-anchors-{i}", "trap", path, "article linked after 2500 in-page anchors: recorded",
                      self.article(f"after-anchors-{i}"), linked_from=("budget-anchors",), host=ANCHOR_HOST,
                      article=True, words=ENGLISH.words)

    def _define_traps(self) -> None:
        def calendar(ex: Exchange) -> None:
            days = "".join(f'<a href="/calendar/2026/05/{d:02d}/{h:02d}">{d} May {h}h</a> '
                           for d in range(1, 32) for h in (9, 18))
            page = f'<html><body><h1>May</h1>{days}<a href="/calendar/2026/06">next</a></body></html>'
            ex.respond(200, page.encode(), case="trap-calendar")
        self.case("trap-calendar", "trap", "/calendar/2026/05",
                  "calendar linking 62 day pages and the next month: at most MAX_URLS_PER_SHAPE (30) of one shape",
                  calendar)
        self.routes[(HOST, "/calendar/*")] = lambda ex: ex.respond(
            200, b'<html><body><a href="/calendar/2026/07/01/09">next</a></body></html>', case="trap-calendar")

        def sessions(ex: Exchange) -> None:
            links = "".join(f'<a href="/news/2026/05/04/session-article;jsessionid={i:032X}">a</a>'
                            f'<a href="/news/2026/05/04/session-article?PHPSESSID={i:026x}">b</a>' for i in range(20))
            ex.respond(200, f"<html><body>{links}</body></html>".encode(), case="trap-session-ids")
        self.case("trap-session-ids", "trap", "/trap/sessions", "40 links to one article with different session "
                  "ids: fetched once", sessions)
        self.routes[(HOST, "/news/2026/05/04/session-article")] = self.article("trap-session-ids")

        def search(ex: Exchange) -> None:
            page = int(ex.target.rsplit("page=", 1)[-1] or 1) if "page=" in ex.target else 1
            links = "".join(f'<a href="/search?q=harbour&amp;page={page + i}">page {page + i}</a> '
                            for i in range(1, 40))
            ex.respond(200, f"<html><body>{links}</body></html>".encode(), case="trap-search-pages")
        self.case("trap-search-pages", "trap", "/search?q=harbour&page=1", "endless search result pages: bounded",
                  search)

    def _define_headers(self) -> None:
        def with_headers(name: str, headers: list[tuple[str, bytes | str]], **kw: Any) -> Callable[[Exchange], None]:
            html = article_html(name).encode()
            return lambda ex: ex.respond(200, html, headers, case=name, **kw)

        self.case("header-dup-set-cookie", "headers", "/news/headers/dup-set-cookie",
                  "three Set-Cookie headers: all archived, in order", with_headers("header-dup-set-cookie", [
                      ("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/; HttpOnly"),
                      ("Set-Cookie", "a=3; Path=/news")]), article=True, words=ENGLISH.words)
        self.case("header-non-ascii", "headers", "/news/headers/non-ascii",
                  "header values with latin-1 and UTF-8 bytes: archived byte for byte",
                  with_headers("header-non-ascii", [("X-Title", "Caf\xe9 \xe2\x80\x94 na\xefve".encode("latin-1")),
                                                   ("X-Raw", b"\xff\xfe\x80 bytes")]),
                  article=True, words=ENGLISH.words)
        self.case("header-no-content-type", "headers", "/news/headers/no-content-type",
                  "article with no Content-Type header: archived, text extracted",
                  with_headers("header-no-content-type", [], content_type=None), article=True, words=ENGLISH.words)
        self.case("header-many", "headers", "/news/headers/many",
                  "article with 300 headers: all archived", with_headers(
                      "header-many", [(f"X-Filler-{i}", f"value-{i}") for i in range(300)]),
                  article=True, words=ENGLISH.words)
        self.case("header-long-value", "headers", "/news/headers/long-value",
                  "article with a 12 KB header value: archived whole", with_headers(
                      "header-long-value", [("X-Long", "v" * 12000)]), article=True, words=ENGLISH.words)
        self.case("header-huge-set", "headers", "/fault/headers-huge",
                  "response whose headers total 2 MB: no hang or crash, the crawl goes on",
                  with_headers("header-huge-set", [(f"X-Big-{i}", "b" * 8000) for i in range(256)]))

    def _define_charsets(self) -> None:
        def page(name: str, text: Text, data: bytes, ctype: str | None) -> None:
            self.case(name, "charset", f"/news/charset/{name.removeprefix('charset-')}", CHARSET_EXPECT[name],
                      lambda ex: ex.respond(200, data, content_type=ctype, case=name), article=True, words=text.words)

        def html(name: str, text: Text, meta: str | None) -> str:
            return article_html(name, text, charset_meta=meta)

        page("charset-cp1251-declared-utf8", RUSSIAN,
             html("charset-cp1251-declared-utf8", RUSSIAN, "utf-8").encode("cp1251"), "text/html; charset=utf-8")
        page("charset-utf8-declared-latin1", GERMAN,
             html("charset-utf8-declared-latin1", GERMAN, "iso-8859-1").encode(), "text/html; charset=iso-8859-1")
        page("charset-sjis-undeclared", JAPANESE,
             html("charset-sjis-undeclared", JAPANESE, None).encode("shift_jis"), "text/html")
        page("charset-cp1251-declared-koi8r", RUSSIAN,
             html("charset-cp1251-declared-koi8r", RUSSIAN, "koi8-r").encode("cp1251"), "text/html; charset=koi8-r")
        xhtml = ('<?xml version="1.0" encoding="{enc}"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
                 '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml" '
                 'xml:lang="{lang}"><head><title>{title}</title><meta property="og:type" content="article" />'
                 '</head><body><article><h1>{title}</h1>{paras}<p>Reference {token}.</p>'
                 '<p><a href="/news/2026/05/04/linked-from-xhtml">More from the city desk</a></p>'
                 '</article></body></html>')
        for name, text, enc, ctype in (
                ("charset-xhtml-prolog-utf8", FRENCH, "utf-8", "text/html; charset=utf-8"),
                ("charset-xhtml-prolog-latin1", GERMAN, "ISO-8859-1", "application/xhtml+xml")):
            body = xhtml.format(enc=enc, lang=text.lang, title=escape(text.title), token=token(name),
                                paras="".join(f"<p>{escape(p)}</p>" for p in text.paragraphs))
            page(name, text, body.encode("latin-1" if enc != "utf-8" else "utf-8"), ctype)
        self.case("charset-xhtml-child", "charset", "/news/2026/05/04/linked-from-xhtml",
                  "article linked only from the XHTML pages: their links are followed",
                  self.article("charset-xhtml-child"), linked_from=("charset-xhtml-prolog-utf8",), article=True,
                  words=ENGLISH.words)
        bom = b"\xef\xbb\xbf"
        page("charset-bom-utf8-undeclared", FRENCH, bom + html("charset-bom-utf8-undeclared", FRENCH, None).encode(),
             "text/html")
        page("charset-bom-utf8-vs-header", FRENCH, bom + html("charset-bom-utf8-vs-header", FRENCH, None).encode(),
             "text/html; charset=windows-1252")
        page("charset-utf16le-bom", GREEK, html("charset-utf16le-bom", GREEK, None).encode("utf-16"),
             "text/html; charset=utf-16")
        page("charset-utf16be-bom-undeclared", GREEK,
             b"\xfe\xff" + html("charset-utf16be-bom-undeclared", GREEK, None).encode("utf-16-be"), "text/html")
        page("charset-cp1252-meta", FRENCH, html("charset-cp1252-meta", FRENCH, "windows-1252").encode("cp1252"),
             "text/html")
        gbk = html("charset-gbk-meta", CHINESE, None).replace(
            "<title>", '<meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>', 1)
        page("charset-gbk-meta", CHINESE, gbk.encode("gbk"), "text/html")
        page("charset-quoted", RUSSIAN, html("charset-quoted", RUSSIAN, None).encode(), 'text/html; charset="UTF-8"')
        page("charset-koi8r-header", RUSSIAN, html("charset-koi8r-header", RUSSIAN, None).encode("koi8-r"),
             "text/html; charset=koi8-r")
        page("charset-eucjp-meta", JAPANESE, html("charset-eucjp-meta", JAPANESE, "euc-jp").encode("euc-jp"),
             "text/html")

    def _define_odd_pages(self) -> None:
        def odd(name: str, markup: bytes, words: tuple[str, ...] = ENGLISH.words,
                ctype: str = "text/html; charset=utf-8") -> None:
            self.case(name, "odd", f"/news/odd/{name.removeprefix('odd-')}", ODD_EXPECT[name],
                      lambda ex: ex.respond(200, markup, content_type=ctype, case=name), article=True, words=words)

        paras = ENGLISH.paragraphs
        odd("odd-uppercase-unclosed", (
            '<HTML><HEAD><TITLE>Harbour repairs</TITLE><META PROPERTY="og:type" CONTENT="article"></HEAD><BODY>'
            '<DIV CLASS="story"><H1>Harbour repairs to start in spring</H1>'
            + "".join(f"<P>{p}" for p in paras) + f"<P>Reference {token('odd-uppercase-unclosed')}.</DIV>").encode())
        entity_text = "".join(f"<p>{''.join(f'&#{ord(c)};' if ord(c) > 127 else escape(c) for c in p)}</p>"
                              for p in FRENCH.paragraphs)
        odd("odd-numeric-entities", (
            '<html lang="fr"><head><title>M&eacute;diath&egrave;que</title><meta property="og:type" content="article">'
            f'</head><body><article><h1>La m&eacute;diath&egrave;que</h1>{entity_text}'
            f"<p>Reference {token('odd-numeric-entities')}.</p></article></body></html>").encode("ascii"), FRENCH.words)
        cells = "".join(f'<tr><td><font face="Arial" size="2">{p}</font></td></tr>' for p in paras)
        odd("odd-table-layout", (
            '<html><head><title>Harbour repairs</title><meta property="og:type" content="article"></head>'
            '<body><table width="100%"><tr><td valign="top"><a href="/">Home</a></td><td><table>'
            f"<tr><td><b>Harbour repairs to start in spring</b></td></tr>{cells}"
            f"<tr><td>Reference {token('odd-table-layout')}.</td></tr></table></td></tr></table></body></html>"
        ).encode())
        odd("odd-br-paragraphs", (
            '<html><head><title>Harbour repairs</title><meta property="og:type" content="article"></head><body>'
            '<div id="content"><h1>Harbour repairs to start in spring</h1><div class="text">'
            + "<br><br>".join(paras) + f"<br><br>Reference {token('odd-br-paragraphs')}.</div></div></body></html>"
        ).encode())
        odd("odd-nul-bytes", article_html("odd-nul-bytes").replace("</p><p>", "</p>\x00<p>").encode())
        odd("odd-no-wrapper", (
            '<meta property="og:type" content="article"><title>Harbour repairs</title>'
            '<h1>Harbour repairs to start in spring</h1>' + "".join(f"<p>{p}</p>" for p in paras)
            + f"<p>Reference {token('odd-no-wrapper')}.</p>").encode())

    # -- discovery documents

    @property
    def crawl(self) -> str:
        """The crawl being served: `main`, or `memory-<group>` (memory profile: one group per phase)."""
        return "main" if self.profile == "main" else f"memory-{MEMORY_GROUPS[self.phase - 1]}"

    def page_urls(self, via: str) -> list[str]:
        return [c.url for c in self.cases if via in c.linked_from and c.host == HOST and c.crawl == self.crawl]

    def target_urls(self) -> list[str]:
        long_url = f"{ORIGIN}/news/2026/05/04/" + "x" * 9000
        return [t.url for t in self.targets] + ["http://[broken-ipv6/entry", long_url, "   ", "::not a url::"]

    def homepage(self) -> bytes:
        if self.profile == "main" and self.phase == 2:
            urls = [c.url for c in self.cases if c.article and c.host == HOST and "home" in c.linked_from]
            urls += [self.by_name("alias-redirect").url, f"{ORIGIN}/news/2026/05/05/second-run-article"]
            feeds = ""
        else:
            urls = self.page_urls("home")
            paths = (("/feed.xml", "/feeds/one-bad-entry.xml") if self.profile == "main" else
                     tuple(c.path for c in self.cases if "home-feed-link" in c.linked_from and c.crawl == self.crawl))
            feeds = "".join(f'<link rel="alternate" type="application/rss+xml" href="{path}">' for path in paths)
            if self.profile == "main":
                feeds += '<link rel="alternate" type="application/atom+xml" href="/atom.xml">'
        links = "".join(f'<li><a href="{escape(url)}">{escape(url.rsplit("/", 2)[-2])} '
                        f'{escape(url.rsplit("/", 1)[-1])}</a></li>' for url in urls)
        return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Hostile Gazette</title>{feeds}'
                f'</head><body><h1>Hostile Gazette</h1><ul>{links}</ul></body></html>').encode()

    def robots(self) -> bytes:
        lines = ["User-agent: *", "Disallow: /private-by-robots/"]
        if self.phase == 1 or self.profile != "main":
            lines.append(f"Sitemap: {ORIGIN}/sitemap_index.xml")
        if self.phase == 1 and self.profile == "main":
            lines += [f"Sitemap: file://{HOST}{self.secret.as_posix()}", "Sitemap: http://169.254.169.254/sitemap.xml",
                      "Sitemap: javascript:alert(1)"]
        return ("\n".join(lines) + "\n").encode()

    def sitemap_index(self) -> bytes:
        children = self.page_urls("sitemap-index")
        if self.profile == "main":
            children += [f"{ORIGIN}/sitemaps/news.xml", f"{ORIGIN}/sitemaps/one-bad-entry.xml",
                         f"file://{HOST}{self.secret.as_posix()}", "http://169.254.169.254/sitemap.xml",
                         f"ftp://{HOST}:{FTP_PORT}/sitemap.xml"]
        body = "".join(f"<sitemap><loc>{escape(url)}</loc></sitemap>" for url in children)
        return ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex '
                f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</sitemapindex>').encode()

    @staticmethod
    def urlset(urls: list[str]) -> bytes:
        body = "".join(f"<url><loc>{escape(url)}</loc><lastmod>2026-05-04</lastmod></url>" for url in urls)
        return ('<?xml version="1.0" encoding="UTF-8"?><urlset '
                f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>').encode()

    @staticmethod
    def rss(urls: list[str]) -> bytes:
        items = "".join(f"<item><title>Entry {i}</title><link>{escape(url)}</link>"
                        f"<pubDate>Mon, 04 May 2026 08:00:00 GMT</pubDate></item>" for i, url in enumerate(urls))
        return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Hostile Gazette</title>'
                f"<link>{ORIGIN}/</link><description>news</description>{items}</channel></rss>").encode()

    @staticmethod
    def atom(urls: list[str]) -> bytes:
        entries = "".join(f'<entry><title>Entry {i}</title><id>urn:hostile:{i}</id><link href="{escape(url)}"/>'
                          f"<updated>2026-05-04T08:00:00Z</updated></entry>" for i, url in enumerate(urls))
        return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                f'<title>Hostile Gazette</title><id>urn:hostile</id><updated>2026-05-04T08:00:00Z</updated>'
                f"{entries}</feed>").encode()

    def then_targets(self, good: list[str]) -> list[str]:
        """Good entries first (so they do not depend on how bad ones are handled), then every forbidden URL."""
        return good + self.target_urls()

    def interleaved(self, good: list[str]) -> list[str]:
        """Good entries with forbidden and broken ones between them."""
        bad = self.target_urls()
        out: list[str] = []
        for i, url in enumerate(good):
            out += [*bad[i::len(good)], url]
        return out

    def discovery_route(self, ex: Exchange) -> bool:
        path, host = ex.path, ex.host
        if host != HOST:
            if path == "/robots.txt":
                ex.respond(404, b"no robots", content_type="text/plain", case="robots")
                return True
            return False
        xml = "application/xml"
        if path == "/":
            ex.respond(200, self.homepage(), case="homepage")
        elif path == "/robots.txt":
            ex.respond(200, self.robots(), content_type="text/plain", case="robots")
        elif path == "/sitemap_index.xml" and (self.phase == 1 or self.profile != "main"):
            ex.respond(200, self.sitemap_index(), content_type=xml, case="sitemap-index")
        elif path == "/sitemaps/news.xml" and self.phase == 1:
            ex.respond(200, self.urlset(self.then_targets(self.page_urls("sitemap"))), content_type=xml,
                       case="sitemap-news")
        elif path == "/sitemaps/one-bad-entry.xml" and self.phase == 1:
            ex.respond(200, self.urlset(self.interleaved(self.page_urls("one-bad-entry-sitemap"))), content_type=xml,
                       case="sitemap-one-bad-entry")
        elif path == "/feed.xml" and self.phase == 1:
            ex.respond(200, self.rss(self.then_targets(self.page_urls("feed"))), content_type="application/rss+xml",
                       headers=[("ETag", '"feed-1"')], case="feed")
        elif path == "/feeds/one-bad-entry.xml" and self.phase == 1:
            ex.respond(200, self.rss(self.interleaved(self.page_urls("one-bad-entry-feed"))),
                       content_type="application/rss+xml", case="feed-one-bad-entry")
        elif path == "/atom.xml" and self.phase == 1:
            ex.respond(200, self.atom(self.then_targets(self.page_urls("atom"))), content_type="application/atom+xml",
                       case="atom")
        elif path == "/news/2026/05/05/second-run-article" and self.phase == 2:
            ex.respond(200, article_html("second-run-article").encode(), case="second-run-article")
        else:
            return False
        return True

    def handle(self, ex: Exchange) -> None:
        ex.entry.update(at=time.time(), phase=self.phase, host=ex.host, method=ex.method, target=ex.target,
                        request_headers=ex.headers)
        with self.lock:
            self.log.append(ex.entry)
        if self.discovery_route(ex):
            return
        route = self.routes.get((ex.host, ex.path)) or self.routes.get((ex.host, ex.path.split("?", 1)[0]))
        if route is None and ex.host == HOST and ex.path.startswith("/calendar/"):
            route = self.routes[(HOST, "/calendar/*")]
        if route is None or (self.profile == "main" and self.phase == 2
                             and ex.path.startswith(("/bomb/", "/stream/", "/fault/", "/sitemaps/"))):
            ex.respond(404, b"<html><body>not here</body></html>", case="not-found")
            return
        route(ex)

    # -- reading the log

    def entries(self, *, case: str | None = None, phase: int | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [e for e in self.log if (case is None or e.get("case") == case)
                    and (phase is None or e.get("phase") == phase)]


CHARSET_EXPECT = {
    "charset-cp1251-declared-utf8": "Russian in cp1251 bytes, declared UTF-8 (header and meta): right text",
    "charset-utf8-declared-latin1": "German in UTF-8 bytes, declared ISO-8859-1: right text, no mojibake",
    "charset-sjis-undeclared": "Japanese in Shift_JIS, no declaration anywhere: right text",
    "charset-cp1251-declared-koi8r": "Russian in cp1251 bytes, declared KOI8-R (header and meta; every byte decodes "
                                     "in it): right text",
    "charset-xhtml-prolog-utf8": "XHTML with <?xml encoding=utf-8?> prolog, text/html: recorded, links followed",
    "charset-xhtml-prolog-latin1": "XHTML, ISO-8859-1 prolog, application/xhtml+xml: recorded with right text",
    "charset-bom-utf8-undeclared": "UTF-8 BOM, no declaration: right text",
    "charset-bom-utf8-vs-header": "UTF-8 BOM, header says windows-1252 (the BOM wins): right text",
    "charset-utf16le-bom": "Greek in UTF-16LE with BOM, header charset=utf-16: right text",
    "charset-utf16be-bom-undeclared": "Greek in UTF-16BE with BOM, no declaration: right text",
    "charset-cp1252-meta": "French in windows-1252 declared by <meta charset> only: right text (curly quotes too)",
    "charset-gbk-meta": "Chinese in GBK declared gb2312 by <meta http-equiv>: right text",
    "charset-quoted": 'Russian UTF-8, header charset="UTF-8" (quoted): right text',
    "charset-koi8r-header": "Russian in KOI8-R declared in the header: right text",
    "charset-eucjp-meta": "Japanese in EUC-JP declared by <meta charset>: right text",
}
ODD_EXPECT = {
    "odd-uppercase-unclosed": "upper-case tags, unclosed <P>: right text",
    "odd-numeric-entities": "French written with numeric character references only: right text",
    "odd-table-layout": "old table layout with <font>: right text",
    "odd-br-paragraphs": "paragraphs separated by <br><br> in one div: right text",
    "odd-nul-bytes": "NUL bytes between paragraphs: right text",
    "odd-no-wrapper": "no <html>/<head>/<body> tags: right text",
}
BOMB_PREFIXES = {
    "page": b"<!DOCTYPE html><html><head><title>Bomb</title></head><body><p>bomb</p>",
    "sitemap": b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    "feed": b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>bomb</title>',
}


# -- servers ---------------------------------------------------------------------------------------------------------

def read_request(sock: socket.socket) -> tuple[str, str, dict[str, str]] | None:
    """Request line and headers (lower-cased names); None on a broken or empty request."""
    sock.settimeout(30)
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = sock.recv(65536)
        except OSError:
            return None
        if not chunk or len(data) > 1 << 20:
            return None
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    parts = head[0].split(" ")
    if len(parts) != 3:
        return None
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return parts[0], parts[1], headers


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        request = read_request(self.request)
        if request is None:
            return
        method, target, headers = request
        host = headers.get("host", "").rsplit(":", 1)[0].lower() if "]" not in headers.get("host", "") else \
            headers.get("host", "")
        ex = Exchange(self.request, method, target, host, headers, self.server.site.phase)
        with contextlib.suppress(OSError):
            self.server.site.handle(ex)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    site: HostileSite


class Canary:
    """Listeners that record every connection (address, port, first bytes) and answer like a service would."""

    def __init__(self) -> None:
        self.hits: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.unavailable: list[str] = []

    def listen(self, address: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            sock.bind((address, port))
        except OSError as error:
            self.unavailable.append(f"{address}:{port}: {error}")
            sock.close()
            return
        sock.listen(16)
        self.sockets.append(sock)
        threading.Thread(target=self._accept, args=(sock, address, port), daemon=True).start()

    def _accept(self, sock: socket.socket, address: str, port: int) -> None:
        while True:
            try:
                conn, peer = sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn, peer, address, port), daemon=True).start()

    def _serve(self, conn: socket.socket, peer: Any, address: str, port: int) -> None:
        with conn:
            if port in (21, FTP_PORT):
                conn.sendall(b"220 canary FTP ready\r\n")
            conn.settimeout(2)
            try:
                first = conn.recv(4096)
            except OSError:
                first = b""
            with self.lock:
                self.hits.append({"listener": f"{address}:{port}", "peer": str(peer), "at": time.time(),
                                  "first_bytes": first[:2000].decode("latin-1")})
            if port not in (21, FTP_PORT):
                body = b"<html><body>canary</body></html>"
                with _quiet():
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
                                 b"Connection: close\r\n\r\n%s" % (len(body), body))

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


class _quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is not None and issubclass(exc[0], OSError)  # type: ignore[arg-type]


def serve(site: HostileSite, address: str = "127.0.0.1", port: int = PORT) -> _Server:
    """Start the hostile site in a thread; `server.shutdown()` stops it."""
    server = _Server((address, port), _Handler)
    server.site = site
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def case_table(site: HostileSite) -> Iterator[str]:
    yield "| # | case | class | crawl | path | reached from | expectation |"
    yield "|---|---|---|---|---|---|---|"
    for i, c in enumerate(site.cases, 1):
        host = "" if c.host == HOST else f"{c.host} "
        yield (f"| {i} | `{c.name}` | {c.klass} | {c.crawl} | `{host}{c.path[:60]}` | {', '.join(c.linked_from)} | "
               f"{c.expect.replace('|', '/')} |")


if __name__ == "__main__":
    if sys.argv[1:] == ["--table"]:
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            print("\n".join(case_table(HostileSite(Path("/tmp/hostile-secret/secret.html"),
                                                   Path.home() / ".cache" / "newsarchive-tests" / "hostile"))))
