"""Semantic lint of a WARC file: what `warcio check` (digests only) lets through but replay trips on.

Checks the rules of WARC.md "How to verify": one record per gzip member, warcinfo first and referenced
by every record, request lines that keep the query, one Content-Length equal to the stored body, no
Transfer-Encoding, every response (or revisit) paired with its request, metadata without a payload digest
that refers to a capture, revisits with a known profile that name what they stand for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from pipelines.store.members import MemberError, iter_members
from pipelines.warc.records import REVISIT_IDENTICAL, REVISIT_PROFILES, TRUNCATED_REASONS, request_target

RECORD_ID = re.compile(r"<urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}>")
HTTP_TYPES = ("request", "response")
CAPTURE_TYPES = ("request", "response", "revisit")
PAIRS = ({"request", "response"}, {"request", "revisit"})
READ_SIZE = 1 << 20


@dataclass
class _Record:
    """What the lint needs of one record; the payload itself is only counted."""

    offset: int
    warc: StatusAndHeaders
    http: StatusAndHeaders | None
    payload_length: int

    def get(self, name: str) -> str | None:
        return self.warc.get_header(name)

    @property
    def type(self) -> str:
        return self.get("WARC-Type") or "?"

    def label(self) -> str:
        return f"@{self.offset} {self.type} {self.get('WARC-Target-URI') or ''}".rstrip()


def _parse_member(offset: int, data: bytes) -> list[_Record]:
    records = []
    for record in ArchiveIterator(BytesIO(data)):
        length = 0
        while chunk := record.raw_stream.read(READ_SIZE):
            length += len(chunk)
        records.append(_Record(offset, record.rec_headers, record.http_headers, length))
    return records


def read_records(path: Path) -> tuple[list[_Record], list[str]]:
    """All records, plus problems with the container itself (gzip members, parse errors)."""
    records: list[_Record] = []
    problems: list[str] = []
    with open(path, "rb") as fh:
        try:
            for member in iter_members(fh, tolerant=False):
                offset = member.offset
                try:
                    found = _parse_member(offset, member.data)
                except Exception as exc:  # warcio raises several unrelated types for bad input
                    problems.append(f"@{offset}: unreadable record ({exc})")
                    continue
                if len(found) != 1:
                    problems.append(f"@{offset}: gzip member holds {len(found)} records, not 1")
                records.extend(found)
        except MemberError as exc:
            problems.append(str(exc))
    return records, problems


def _http_problems(rec: _Record) -> list[str]:
    if rec.http is None:
        return ["no HTTP message"]
    problems = []
    names = [name.lower() for name, _ in rec.http.headers]
    if "transfer-encoding" in names:
        problems.append("Transfer-Encoding header kept (body is stored de-chunked)")
    lengths = [value.strip() for name, value in rec.http.headers if name.lower() == "content-length"]
    if lengths != [str(rec.payload_length)] and (lengths or rec.payload_length):
        problems.append(f"Content-Length {lengths} but stored body is {rec.payload_length} bytes")
    if rec.type == "request":
        problems += _request_line_problems(rec, names)
    return problems


def _request_line_problems(rec: _Record, names: list[str]) -> list[str]:
    assert rec.http is not None
    line = f"{rec.http.protocol} {rec.http.statusline}".split(" ")
    uri = rec.get("WARC-Target-URI") or ""
    problems = []
    if len(line) != 3:
        problems.append(f"malformed request line {' '.join(line)!r}")
    elif urlsplit(uri).scheme in ("http", "https") and line[1] != request_target(uri).decode():
        problems.append(f"request target {line[1]!r} does not match the URI (query lost?)")
    if "host" not in names:
        problems.append("request without Host header")
    return problems


def _record_problems(rec: _Record, warcinfo_ids: set[str]) -> list[str]:
    problems = []
    if rec.warc.protocol != "WARC/1.1":
        problems.append(f"version {rec.warc.protocol!r}, expected WARC/1.1")
    if not RECORD_ID.fullmatch(rec.get("WARC-Record-ID") or ""):
        problems.append(f"bad WARC-Record-ID {rec.get('WARC-Record-ID')!r}")
    if not rec.get("WARC-Date"):
        problems.append("no WARC-Date")
    if rec.type != "warcinfo" and rec.get("WARC-Warcinfo-ID") not in warcinfo_ids:
        problems.append("WARC-Warcinfo-ID missing or not a warcinfo record of this file")
    truncated = rec.get("WARC-Truncated")
    if truncated is not None and truncated not in TRUNCATED_REASONS:
        problems.append(f"WARC-Truncated {truncated!r} is not a defined reason")
    if rec.type in HTTP_TYPES:
        problems += _http_problems(rec)
    if rec.type == "metadata":
        if rec.get("WARC-Payload-Digest"):
            problems.append("metadata record carries a WARC-Payload-Digest")
        if not (rec.get("WARC-Refers-To") or rec.get("WARC-Concurrent-To")):
            problems.append("metadata record refers to no capture")
    if rec.type == "revisit":
        problems += _revisit_problems(rec)
    return problems


def _revisit_problems(rec: _Record) -> list[str]:
    """A known profile; an identical-payload revisit names the capture it stands for and stores no body."""
    profile = rec.get("WARC-Profile")
    if profile not in REVISIT_PROFILES:
        return [f"revisit with unknown WARC-Profile {profile!r}"]
    problems = [] if rec.http is not None else ["revisit without the HTTP headers"]
    if profile == REVISIT_IDENTICAL:
        required = ("WARC-Refers-To", "WARC-Refers-To-Target-URI", "WARC-Refers-To-Date", "WARC-Payload-Digest")
        problems += [f"revisit without {name}" for name in required if not rec.get(name)]
        if rec.payload_length:
            problems.append(f"identical-payload revisit stores a {rec.payload_length}-byte body")
    return problems


def _pairing_problems(records: list[_Record]) -> list[str]:
    """Every response or revisit needs its request (linked by WARC-Concurrent-To, same target URI)."""
    by_id = {rec.get("WARC-Record-ID"): rec for rec in records}
    paired: set[str | None] = set()
    for rec in records:
        other = by_id.get(rec.get("WARC-Concurrent-To"))
        if (
            other is not None
            and {rec.type, other.type} in PAIRS
            and rec.get("WARC-Target-URI") == other.get("WARC-Target-URI")
        ):
            paired |= {rec.get("WARC-Record-ID"), other.get("WARC-Record-ID")}
    return [
        f"{rec.label()}: {rec.type} without its {'response' if rec.type == 'request' else 'request'}"
        for rec in records
        if rec.type in CAPTURE_TYPES and rec.get("WARC-Record-ID") not in paired
    ]


def lint_warc(path: Path | str) -> list[str]:
    """Human-readable problems of one WARC file; empty when it is fine."""
    records, problems = read_records(Path(path))
    if not records:
        return [*problems, "no records"]
    if records[0].type != "warcinfo":
        problems.append(f"{records[0].label()}: file does not start with a warcinfo record")
    warcinfo_ids = {record_id for rec in records if rec.type == "warcinfo" and (record_id := rec.get("WARC-Record-ID"))}
    seen: set[str | None] = set()
    for rec in records:
        if rec.get("WARC-Record-ID") in seen:
            problems.append(f"{rec.label()}: duplicate WARC-Record-ID")
        seen.add(rec.get("WARC-Record-ID"))
        problems += [f"{rec.label()}: {problem}" for problem in _record_problems(rec, warcinfo_ids)]
    return problems + _pairing_problems(records)
