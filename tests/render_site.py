"""A local news site whose article text exists only after JavaScript ran: the page's script fetches it as JSON.

The article page holds a headline and an empty `<div id="story">`; `/static/story.js` fetches
`/api/story/<slug>.json` (gzip-encoded when asked, so the decoded-body storing is exercised) and writes its
paragraphs into the page, then loads a photo bigger than the test's resource cap and tries an address on a private
network (which the in-browser guard must block). The article page has a Last-Modified that does not change when
its story does (the text is in the JSON) and answers a matching If-Modified-Since with 304, as a CDN would. The
server logs every request it answered.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from tests.process_tree import process_table, tree_members
from tests.serving import serving

ARTICLE_PATTERN = r"/news/\d{4}/\d{2}/\d{2}/"
SLUG = "harbour-tunnel"
ARTICLE_PATH = f"/news/2026/05/04/{SLUG}"
JSON_PATH = f"/api/story/{SLUG}.json"
ARTICLE_MODIFIED = "Mon, 04 May 2026 08:00:00 GMT"  # the shell's Last-Modified, whatever the JSON says
PHOTO_PATH = "/img/photo.bin"
PHOTO_SIZE = 300_000
PRIVATE_URL = "http://192.168.77.77/tracker.gif"  # never to be requested: a private address
TOKEN = "quokkatunnel"  # a word only the injected text has
HEADLINE = "Harbour tunnel opens after nine years"
PARAGRAPHS = [
    f"The {TOKEN} under the harbour opened to traffic on Monday, nine years after the first stone was laid and "
    "three years later than the council had promised residents.",
    "Engineers said the tunnel would carry forty thousand vehicles a day, taking lorries off the coast road and "
    "cutting the journey between the two halves of the town to four minutes.",
    "The council's transport committee will publish a review of the project's budget, which doubled during "
    "construction, before the spring elections, its chair told the opening ceremony.",
    "Residents of the harbour streets, who lived with the noise of the works for most of a decade, were given "
    "the first crossing; many walked through it before the cars were let in.",
]

ARTICLE_HTML = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{HEADLINE}</title>
<meta property="og:type" content="article">
<meta property="article:published_time" content="2026-05-04T08:00:00Z">
<script src="/static/story.js" defer></script>
</head><body><header><a href="/">Harbour Gazette</a></header>
<article><h1>{HEADLINE}</h1><div id="story"></div></article>
</body></html>"""

STORY_JS = f"""
fetch("{JSON_PATH}").then(r => r.json()).then(story => {{
  const box = document.getElementById("story");
  for (const text of story.paragraphs) {{
    const p = document.createElement("p");
    p.textContent = text;
    box.appendChild(p);
  }}
  const photo = document.createElement("img");
  photo.src = "{PHOTO_PATH}";
  box.appendChild(photo);
  const tracker = document.createElement("img");
  tracker.src = "{PRIVATE_URL}";
  box.appendChild(tracker);
}});
"""

HOME_HTML = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Harbour Gazette</title></head>
<body><h1>Harbour Gazette</h1><ul><li><a href="{ARTICLE_PATH}">{HEADLINE}</a></li></ul></body></html>"""


# Pages that attack the bounds, linked from /hostile only (a crawl of its own, tests/test_render.py).
HOG_PATH = "/news/2026/05/04/heap-hog"  # its script allocates until the renderer runs out of heap
STALL_PATH = "/news/2026/05/04/stalled"  # its blocking script never comes: the load event never fires
KILLER_PATH = "/news/2026/05/04/browser-killer"  # its JSON request makes the server kill the whole browser, once
KILL_JSON = "/api/story/browser-killer.json"
STALL_SECONDS = 30
HUNG_PATH = "/news/2026/05/04/hung-tracker"  # its text is in the HTML, but its tracking pixel never comes
HUNG_TOKEN = "numbatpixel"
KILLER_TOKEN = "wombatrestart"


def shell(title: str, script: str, story: str = "") -> bytes:
    """An article page whose body is `story` (empty: until `script` runs)."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:type" content="article">
<meta property="article:published_time" content="2026-05-04T08:00:00Z">
{script}</head><body><article><h1>{title}</h1><div id="story">{story}</div></article></body></html>""".encode()


HOG_HTML = shell("Heap hog", "<script>window.addEventListener('load', () => setTimeout(() => {"
                 " const keep = []; for (;;) keep.push(new Array(1 << 20).fill(Math.random())); }, 50));</script>")
STALL_HTML = shell("Stalled page", '<script src="/static/never.js"></script>')
HUNG_HTML = shell("Hung tracker", "", "".join(
    f"<p>{HUNG_TOKEN} paragraph {i}: the text of this article is in its HTML, and the page is taken once its time is "
    "up although its tracking pixel never answered and its load event never came.</p>" for i in range(4))
    + '<img src="/img/hung.gif" width="1" height="1">')
KILLER_HTML = shell("Browser killer", f"""<script>
fetch("{KILL_JSON}").then(r => r.json()).then(story => {{
  for (const text of story.paragraphs) {{
    const p = document.createElement("p"); p.textContent = text; document.getElementById("story").appendChild(p);
  }}
}});</script>""")
HOSTILE_PAGES = {HOG_PATH: HOG_HTML, STALL_PATH: STALL_HTML, KILLER_PATH: KILLER_HTML, HUNG_PATH: HUNG_HTML}
HOSTILE_HTML = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Harbour Gazette: hostile</title></head>
<body><ul><li><a href="{HOG_PATH}">hog</a></li><li><a href="{STALL_PATH}">stall</a></li>
<li><a href="{KILLER_PATH}">killer</a></li><li><a href="{HUNG_PATH}">hung</a></li>
<li><a href="{ARTICLE_PATH}">{HEADLINE}</a></li></ul></body></html>"""
KILLER_PARAGRAPHS = [f"{KILLER_TOKEN} paragraph {i}: the browser was started again after it was killed, and this "
                     "page was rendered by the new one, with every exchange of the first attempt still archived."
                     for i in range(4)]


def kill_browser() -> list[int]:
    """SIGKILL the main Chromium process(es) of this test process's crawl (its own descendants only)."""
    table = process_table()
    killed = []
    for pid in tree_members(os.getpid(), table) - {os.getpid()}:
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if os.path.basename(argv[0]) == b"chromium" and not any(a.startswith(b"--type=") for a in argv):
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
    return killed


@dataclass
class RenderSite:
    """The site's log: (path, request headers) of every request answered, in order."""

    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    killed: list[int] = field(default_factory=list)  # browser processes killed by the killer page
    paragraphs: list[str] = field(default_factory=lambda: list(PARAGRAPHS))  # the story the JSON serves; tests edit it

    def paths(self) -> list[str]:
        with self.lock:
            return [path for path, _ in self.requests]

    def headers_of(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return [headers for seen, headers in self.requests if seen == path]


def story_json(paragraphs: list[str] = PARAGRAPHS) -> bytes:
    return json.dumps({"headline": HEADLINE, "paragraphs": paragraphs}).encode("utf-8")


def handler_for(site: RenderSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            with site.lock:
                site.requests.append((path, dict(self.headers.items())))
            if path == "/robots.txt":
                return self.send(200, "text/plain", b"User-agent: *\nAllow: /\n")
            if path == "/":
                return self.send(200, "text/html; charset=utf-8", HOME_HTML.encode())
            if path == ARTICLE_PATH:
                if self.headers.get("If-Modified-Since") == ARTICLE_MODIFIED:
                    return self.send(304, "text/html; charset=utf-8", b"")
                return self.send(200, "text/html; charset=utf-8", ARTICLE_HTML.encode(), modified=ARTICLE_MODIFIED)
            if path == "/static/story.js":
                return self.send(200, "application/javascript", STORY_JS.encode())
            if path == JSON_PATH:
                with site.lock:
                    body = story_json(site.paragraphs)
                if "gzip" in self.headers.get("Accept-Encoding", ""):
                    return self.send(200, "application/json", gzip.compress(body), coding="gzip")
                return self.send(200, "application/json", body)
            if path == "/hostile":
                return self.send(200, "text/html; charset=utf-8", HOSTILE_HTML.encode())
            if path in HOSTILE_PAGES:
                return self.send(200, "text/html; charset=utf-8", HOSTILE_PAGES[path])
            if path in ("/static/never.js", "/img/hung.gif"):
                time.sleep(STALL_SECONDS)
                return self.send(200, "application/javascript", b"")
            if path == KILL_JSON:
                with site.lock:
                    first = not site.killed
                    if first:
                        site.killed.extend(kill_browser() or [0])
                if first:
                    time.sleep(1)  # the browser is gone; whatever is answered now reaches nobody
                body = json.dumps({"paragraphs": KILLER_PARAGRAPHS}).encode()
                return self.send(200, "application/json", body)
            if path == PHOTO_PATH:
                return self.send(200, "image/png", b"\x89PNG\r\n\x1a\n" + bytes(PHOTO_SIZE - 8))
            return self.send(404, "text/plain", b"not here\n")

        def send(self, status: int, content_type: str, body: bytes, coding: str | None = None,
                 modified: str | None = None) -> None:
            with suppress(BrokenPipeError, ConnectionResetError):  # a killed browser, a page that timed out
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                if coding:
                    self.send_header("Content-Encoding", coding)
                if modified:
                    self.send_header("Last-Modified", modified)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

    return Handler


@contextmanager
def serve_render_site(site: RenderSite) -> Iterator[str]:
    """Serve the site on 127.0.0.1; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(site))
    server.daemon_threads = True
    with serving(server):
        yield f"http://127.0.0.1:{server.server_address[1]}"


def sites_yaml(base: str, *, render: bool, homepage: str = "/", revisit: list[str] | None = None) -> str:
    site = {"name": "gazette", "homepage": base + homepage, "allowed_domains": ["127.0.0.1"],
            "article_patterns": [ARTICLE_PATTERN], "language": "en", "delay": 0, "allow_private_network": True,
            "render": render}
    if revisit is not None:
        site["revisit"] = revisit
    return yaml.safe_dump({"sites": [site]}, sort_keys=False)
