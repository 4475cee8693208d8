"""Assertions shared by the hostile-site crawls: what must hold of any run, whatever the site sent."""

from __future__ import annotations

import gzip
import io
import re
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.hostile.outputs import RSS_LIMIT, HostileRun, payload_digest, warcio_check
from tests.hostile.server import ANCHOR_HOST, CAPTCHA_HOST, HOST, NAME_ADDRESSES, PORT, THROTTLE_HOST, Case, token
from tests.hostile.texts import GARBLE_MARKS


def known_failure(reason: str) -> pytest.MarkDecorator:
    """A test that fails today: strict, so the fix that makes it pass also has to remove the marker."""
    return pytest.mark.xfail(strict=True, reason=f"issue 8: {reason}")


TRACEBACK = re.compile(r"Traceback \(most recent call last\)|Unhandled error in Deferred")


def assert_no_traceback(run: HostileRun, phase: str) -> None:
    assert not run.phase(phase).rss_guard_tripped, "killed by the harness's RSS guard: no verdict"
    output = run.output(phase)
    found = TRACEBACK.search(output)
    assert found is None, output[max(0, found.start() - 1500):found.start() + 2500] if found else ""


def assert_ended_in_time(run: HostileRun) -> None:
    hung = [(p.name, round(p.duration)) for p in run.phases if p.timed_out]
    assert not hung, f"crawl hung (killed at the harness timeout): {hung}"
    assert not any(p.rss_guard_tripped for p in run.phases), "killed by the harness's RSS guard: no verdict"


def assert_rss_bounded(run: HostileRun, phase: str | None = None) -> None:
    phases = [p for p in run.phases if phase in (None, p.name)]
    peaks = {p.name: round(p.peak_rss / 2**20) for p in phases}
    assert not any(p.rss_guard_tripped for p in phases), f"killed by the harness's RSS guard: {peaks} MiB"
    assert all(p.peak_rss < RSS_LIMIT for p in phases), f"peak RSS of the crawl's process tree (MiB): {peaks}"


def assert_no_leftover_processes(run: HostileRun) -> None:
    left = {p.name: p.leftovers for p in run.phases if p.leftovers}
    assert not left, f"processes of the crawl alive after it exited: {left}"


def assert_warcs_check_clean(run: HostileRun) -> None:
    paths = run.archived_warcs() + run.spool_warcs()
    assert paths, "the run wrote no complete WARC at all"
    failed = {}
    for path in paths:
        done = warcio_check(path)
        if done.returncode != 0:
            failed[path.name] = (done.stdout + done.stderr)[-1500:]
    assert not failed, failed


def assert_warcs_reached_archive(run: HostileRun) -> None:
    stuck = [p.relative_to(run.workdir).as_posix() for p in run.spool_warcs()]
    assert run.archived_warcs(), "no WARC in the archive"
    assert not stuck, f"WARCs left in the spool: {stuck}"
    assert not run.open_files(), f"files left open: {run.open_files()}"


def uncaptured(run: HostileRun, *, archived_only: bool) -> list[str]:
    """Responses the server sent completely that no WARC record holds (URL and payload digest)."""
    held: Counter[tuple[str, str]] = Counter()
    for capture in run.captures:
        if archived_only and not capture.archived:
            continue
        if capture.type == "response":
            held[(capture.uri, payload_digest(capture.payload))] += 1
        elif capture.type == "revisit" and capture.digest:
            held[(capture.uri, capture.digest)] += 1
    missing = []
    for entry in run.log:
        if not entry.get("complete") or entry.get("digest") is None:
            continue
        key = (run.served_url(entry), entry["digest"])
        if held[key]:
            held[key] -= 1
        else:
            missing.append(f"{entry.get('case')}: {entry['status']} {key[0][:120]}")
    return missing


def assert_no_lost_captures(run: HostileRun) -> None:
    missing = uncaptured(run, archived_only=True)
    assert not missing, f"{len(missing)} responses sent but not in an archived WARC: {missing[:25]}"


def assert_every_response_captured(run: HostileRun) -> None:
    missing = uncaptured(run, archived_only=False)
    assert not missing, f"{len(missing)} responses sent but in no WARC (archive or spool): {missing[:25]}"


def assert_records_point_at_archived_captures(run: HostileRun) -> None:
    records = [r for r in run.records if r.get("warc")]
    assert records, "no records"
    broken = []
    for record in records:
        pointer = record["warc"]
        path = run.archived(pointer["key"])
        if path is None:
            broken.append(f"{record['url']}: {pointer['key']} does not exist")
            continue
        with path.open("rb") as stream:
            stream.seek(pointer["offset"])
            member = stream.read(pointer["length"])
        found = list(ArchiveIterator(io.BytesIO(member)))
        uri = found[0].rec_headers.get_header("WARC-Target-URI") if found else None
        if len(found) != 1 or uri != record["url"]:
            broken.append(f"{record['url']}: pointer reads {uri}")
    assert not broken, broken[:20]


def assert_cdxj_lists_captures(run: HostileRun) -> None:
    warcs = run.archived_warcs()
    assert warcs, "no archived WARC to check"
    problems = [f"{p.name}: still in the spool, no CDXJ in the archive" for p in run.spool_warcs()]
    for path in warcs:
        cdxj = path.with_name(path.name.removesuffix(".warc.gz") + ".cdxj")
        if not cdxj.exists():
            problems.append(f"{path.name}: no CDXJ beside it")
            continue
        indexed = Counter(re.search(r'"url": ?"([^"]+)"', line).group(1)  # type: ignore[union-attr]
                          for line in cdxj.read_text().splitlines() if '"url"' in line)
        wanted = Counter(c.uri for c in run.captures if c.warc == path and c.type in ("response", "revisit"))
        if wanted - indexed:
            problems.append(f"{path.name}: not indexed: {sorted(wanted - indexed)[:10]}")
    assert not problems, problems


def assert_report_objects_exist(run: HostileRun) -> None:
    assert run.reports, "no run report"
    missing = [o["key"] for report in run.reports for o in report["objects"]
               if (path := run.archived(o["key"])) is None or path.stat().st_size != o["size"]]
    assert not missing, missing
    claimed = re.findall(r"run report: (\S+)", "".join(p.stdout + p.stderr for p in run.phases))
    assert all(Path(path).exists() for path in claimed), claimed


def assert_record_text(run: HostileRun, case: Case) -> None:
    records = run.records_of(case.url)
    assert records, f"no record of {case.url}"
    text = records[0].get("text") or ""
    missing = [word for word in case.words if word not in text]
    garbled = [mark for mark in GARBLE_MARKS if mark in text]
    assert not missing and not garbled and token(case.name) in text, (
        f"missing {missing}, garbled {garbled}, token {token(case.name) in text}; text: {text[:400]!r}")


def assert_raw_capture(run: HostileRun, case: Case, coding: str | None) -> None:
    """The response of a case archived exactly as the server sent it (content coding and all)."""
    sent = {e["digest"] for e in run.served(case=case.name, host=case.host) if e.get("complete")}
    assert sent, f"the server never finished sending {case.path}"
    captures = [c for c in run.responses(case.url) if c.type == "response"]
    assert captures, f"no capture of {case.url}"
    matching = [c for c in captures if payload_digest(c.payload) in sent]
    assert matching, f"archived payload differs from the bytes sent ({[len(c.payload) for c in captures]} bytes)"
    if coding is not None:
        assert matching[0].header("Content-Encoding") == coding, matching[0].headers


def target_reached(run: HostileRun, url: str) -> list[str]:
    """Evidence that a forbidden URL was requested: canary connections naming its host, requests for it on the
    hostile server under another Host, captures of it."""
    parts = urlsplit(url)
    evidence = []
    netloc = parts.netloc.lower()
    if parts.scheme in ("http", "https"):
        for hit in run.canary_hits:
            if re.search(rf"(?im)^host: {re.escape(netloc)}\r?$", hit["first_bytes"]):
                evidence.append(f"canary {hit['listener']}: {hit['first_bytes'].splitlines()[0]}")
        host = (parts.hostname or "").lower()
        if host != HOST:
            evidence += [f"hostile server asked with Host {e['host']}: {e['target']}" for e in run.log
                         if e["host"] in (host, f"[{host}]", netloc)]
    elif parts.scheme in ("ftp", "gopher"):
        host = (parts.hostname or "").lower()
        address = "127.0.0.1" if host == HOST else NAME_ADDRESSES.get(host, host)
        listener = f"{address}:{parts.port or {'ftp': 21, 'gopher': 70}[parts.scheme]}"
        evidence += [f"canary {h['listener']}: {h['first_bytes'][:80]!r}" for h in run.canary_hits
                     if h["listener"] == listener]
    elif parts.scheme == "s3":
        evidence += [f"S3 canary: {h['first_bytes'][:120]!r}" for h in run.canary_hits
                     if "newsarchive-canary-bucket" in h["first_bytes"]]
    evidence += [f"captured: {c.type} {c.uri[:100]}" for c in run.captures if c.uri.split("#")[0] == url]
    return evidence


def foreign_requests(run: HostileRun) -> list[str]:
    """Requests that reached the hostile server under a host name it does not serve."""
    known = {HOST, CAPTCHA_HOST, THROTTLE_HOST, ANCHOR_HOST}
    return [f"{e['host']}:{PORT}{e['target']}" for e in run.log if e["host"] not in known]


def decompressed(path: Path) -> bytes:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError):
            return data
    return data


def leaks(run: HostileRun, markers: list[bytes]) -> list[str]:
    """Output files, and each crawl's stdout/stderr, holding any of the markers."""
    found = []
    for path in run.every_output_file():
        data = decompressed(path)
        found += [f"{path.relative_to(run.workdir)}: {m.decode()}" for m in markers if m in data]
    return found


BROTLI_WEDGE = ("CDXJ indexing of a Content-Encoding: br capture raises AttributeError: 'brotli.Decompressor' object "
                "has no attribute 'unused_data' (warcio 1.8.1 with brotli 1.2.1), so the run's WARC never leaves the "
                "spool and a .cdxj.open stays")


class ArchiveChecks:
    """What must hold of the archive after any crawl; each crawl module subclasses it as `TestArchive`, beside its
    module-scoped `run` fixture."""

    def test_every_warc_passes_warcio_check(self, run: HostileRun) -> None:
        assert_warcs_check_clean(run)

    def test_every_response_sent_is_captured(self, run: HostileRun) -> None:
        assert_every_response_captured(run)

    def test_every_warc_reaches_the_archive(self, run: HostileRun) -> None:
        assert_warcs_reached_archive(run)

    def test_no_lost_captures(self, run: HostileRun) -> None:
        assert_no_lost_captures(run)

    def test_records_point_at_archived_captures(self, run: HostileRun) -> None:
        assert_records_point_at_archived_captures(run)

    def test_cdxj_beside_each_warc_lists_its_captures(self, run: HostileRun) -> None:
        assert_cdxj_lists_captures(run)

    def test_run_reports_list_only_objects_that_exist(self, run: HostileRun) -> None:
        assert_report_objects_exist(run)
