"""A tiny authoritative DNS server over UDP on 127.0.0.1 for tests (wire format by Twisted Names).

Each name has a list of A answers: the n-th A query gets the n-th answer (the last one repeats), so a test
can play DNS rebinding (public address first, private ones after). TTL 0 everywhere: nothing may cache.
AAAA queries for known names get an empty answer, unknown names NXDOMAIN. Every query is logged.
"""

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from twisted.names import dns

from tests.serving import serving


@dataclass
class Zone:
    a_records: dict[str, list[str]]
    queries: list[tuple[str, str, str | None]] = field(default_factory=list)  # (name, type, answer)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, name: str, kind: int) -> tuple[int, str | None]:
        with self.lock:
            answers = self.a_records.get(name)
            if answers is None:
                self.queries.append((name, dns.QUERY_TYPES.get(kind, str(kind)), None))
                return dns.ENAME, None
            address = None
            if kind == dns.A:
                address = answers.pop(0) if len(answers) > 1 else answers[0]
            self.queries.append((name, dns.QUERY_TYPES.get(kind, str(kind)), address))
            return dns.OK, address

    def a_answers(self, name: str) -> list[str | None]:
        with self.lock:
            return [answer for queried, kind, answer in self.queries if queried == name and kind == "A"]


class _Handler(socketserver.BaseRequestHandler):
    server: "_Server"

    def handle(self) -> None:
        data, sock = self.request
        query = dns.Message()
        query.fromStr(data)
        reply = dns.Message(id=query.id, answer=1, opCode=query.opCode, recDes=query.recDes, recAv=1, auth=1)
        reply.queries = query.queries
        if query.queries:
            question = query.queries[0]
            name = question.name.name.decode("ascii").lower().rstrip(".")
            reply.rCode, address = self.server.zone.answer(name, question.type)
            if address is not None:
                reply.answers = [dns.RRHeader(name=name, type=dns.A, ttl=0, payload=dns.Record_A(address, ttl=0))]
        sock.sendto(reply.toStr(), self.client_address)


class _Server(socketserver.ThreadingUDPServer):
    daemon_threads = True

    def __init__(self, zone: Zone) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.zone = zone


@contextmanager
def serve_dns(zone: Zone) -> Iterator[str]:
    """Serve `zone`; yields the server as `127.0.0.1:PORT` (a DNS_SERVERS entry)."""
    with serving(_Server(zone)) as server:
        yield f"127.0.0.1:{server.server_address[1]}"
