"""Run a socketserver in a daemon thread for the length of a `with` block (test servers on 127.0.0.1)."""

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

Server = TypeVar("Server", bound=socketserver.BaseServer)


@contextmanager
def serving(server: Server) -> Iterator[Server]:
    """Serve until the block ends, then shut down, close the socket and join the thread."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class SiteServer(ThreadingHTTPServer):
    """A local test site on 127.0.0.1 (a free port): its handler reads `self.server.site`. A client that hangs up
    mid-answer (a killed crawl) is not the server's error."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], site: Any) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.site = site

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@contextmanager
def serve_site(handler: type[BaseHTTPRequestHandler], site: Any) -> Iterator[str]:
    """Serve `site` with `handler` for the length of a `with` block; yields the base URL `http://127.0.0.1:PORT`."""
    with serving(SiteServer(handler, site)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}"
