"""The archive's object key layout (RECORDS.md): the one place keys are built and parsed.

```
warc/YYYY/MM/DD/NEWSARCHIVE-<YYYYmmddHHMMSS>-<serial:05>-<host>.warc.gz   captures (write-once)
warc/YYYY/MM/DD/<same basename>.cdxj                                     index of that WARC
records/dt=YYYY-MM-DD/<same basename>.jsonl.gz                           records of that WARC's articles
records/dt=YYYY-MM-DD/<same basename>.re-<crawl_id>-x<version>.jsonl.gz  a re-extraction of them
runs/<crawl_id>.json                                                     run report + manifest (written last)
state/seen/<crawl_id>.sqlite.gz, state/digests/<crawl_id>.ndjson.gz, state/texts/<crawl_id>.ndjson.gz
```
Keys are write-once, so everything a later run adds gets a new key (a re-extraction, a state version).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime

WARC_PREFIX = "warc/"
RECORDS_PREFIX = "records/"
RUNS_PREFIX = "runs/"
SEEN_PREFIX = "state/seen/"
DIGESTS_PREFIX = "state/digests/"
TEXTS_PREFIX = "state/texts/"

WARC_SUFFIX = ".warc.gz"
CDXJ_SUFFIX = ".cdxj"
RECORDS_SUFFIX = ".jsonl.gz"
REEXTRACT_MARK = ".re-"
WARC_NAME_PREFIX = "NEWSARCHIVE"

_WARC_KEY = re.compile(r"^warc/(\d{4})/(\d{2})/(\d{2})/([^/]+)\.warc\.gz$")
_RECORDS_KEY = re.compile(r"^records/dt=(\d{4})-(\d{2})-(\d{2})/([^/]+)\.jsonl\.gz$")


def safe_host(host: str) -> str:
    """Host name usable inside a file name and object key."""
    return re.sub(r"[^A-Za-z0-9.-]+", "-", host).strip("-.") or "localhost"


def warc_key(opened: datetime, serial: int, host: str) -> str:
    """Key of a WARC file the crawl writes: its UTC opening day, then the sortable NEWSARCHIVE name."""
    stamp = opened.astimezone(UTC)
    return f"{WARC_PREFIX}{stamp:%Y/%m/%d}/{WARC_NAME_PREFIX}-{stamp:%Y%m%d%H%M%S}-{serial:05d}-{safe_host(host)}" \
           f"{WARC_SUFFIX}"


def is_warc_key(key: str) -> bool:
    """A WARC of the archive's own layout (not a CDXJ, not some other file under warc/)."""
    return _WARC_KEY.match(key) is not None


def cdxj_key_for(warc: str) -> str:
    """`…/NAME.warc.gz` → `…/NAME.cdxj`: the index beside its WARC (works on keys and on file paths)."""
    if not warc.endswith(WARC_SUFFIX):
        raise ValueError(f"not a {WARC_SUFFIX} file: {warc}")
    return warc.removesuffix(WARC_SUFFIX) + CDXJ_SUFFIX


def warc_of_index(cdxj: str) -> str | None:
    """`warc/…/NAME.cdxj` → `warc/…/NAME.warc.gz`, the WARC a CDXJ index describes; None for other keys."""
    warc = cdxj.removesuffix(CDXJ_SUFFIX) + WARC_SUFFIX
    return warc if cdxj.endswith(CDXJ_SUFFIX) and is_warc_key(warc) else None


def records_key_for(warc: str) -> str:
    """`warc/YYYY/MM/DD/<base>.warc.gz` → `records/dt=YYYY-MM-DD/<base>.jsonl.gz`."""
    match = _WARC_KEY.match(warc)
    if match is None:
        raise ValueError(f"not a WARC key of this archive: {warc!r}")
    year, month, day, base = match.groups()
    return f"{RECORDS_PREFIX}dt={year}-{month}-{day}/{base}{RECORDS_SUFFIX}"


def crawl_warc_of_records(records: str) -> str | None:
    """The WARC a crawl's records file points into (`records/dt=…/NEWSARCHIVE-….jsonl.gz` → its `warc/…` key); None
    for other files, re-extractions and imports (those point into WARCs the archive already holds)."""
    match = _RECORDS_KEY.match(records)
    if match is None or REEXTRACT_MARK in records or not match.group(4).startswith(WARC_NAME_PREFIX + "-"):
        return None
    year, month, day, base = match.groups()
    return f"{WARC_PREFIX}{year}/{month}/{day}/{base}{WARC_SUFFIX}"


def imported_records_key(day: date, source_basename: str) -> str:
    """Records of an imported WARC, filed under the day of its first record."""
    return f"{RECORDS_PREFIX}dt={day:%Y-%m-%d}/{source_basename}{RECORDS_SUFFIX}"


def source_basename(source: str) -> str:
    """`…/CC-NEWS-2024….warc.gz` → `CC-NEWS-2024…`: the name an imported WARC's records file takes."""
    name = source.rstrip("/").rsplit("/", 1)[-1]
    for suffix in (".gz", ".warc"):
        name = name.removesuffix(suffix)
    return name


def reextract_key(records_key: str, crawl_id: str, version: str) -> str:
    """`…/<base>.jsonl.gz` → `…/<base>.re-<crawl_id>-x<version>.jsonl.gz`: a new write-once key per run.

    crawl ids start with their UTC start time, so the names of one WARC's records files sort oldest first.
    """
    return f"{records_key.removesuffix(RECORDS_SUFFIX)}{REEXTRACT_MARK}{crawl_id}-x{version}{RECORDS_SUFFIX}"


def reextracted_with(key: str, version: str) -> bool:
    """Whether a records key is a re-extraction made by extractor `version`."""
    return REEXTRACT_MARK in key and key.endswith(f"-x{version}{RECORDS_SUFFIX}")


def records_family_prefix(records_key: str) -> str:
    """The prefix all records files of one WARC share (the crawl's and its re-extractions)."""
    return records_key.removesuffix(RECORDS_SUFFIX) + "."


def newest_records_key(keys: Iterable[str]) -> str | None:
    """Of the records files of one WARC (the crawl's and re-extractions), the newest."""
    keys = list(keys)
    rebuilt = sorted(key for key in keys if REEXTRACT_MARK in key)
    return rebuilt[-1] if rebuilt else next(iter(keys), None)


def current_records_keys(keys: Iterable[str]) -> list[str]:
    """Of any listing of records files, the newest per WARC: what a reader wanting one record per capture reads."""
    by_warc: dict[str, list[str]] = {}
    for key in keys:
        by_warc.setdefault(key.split(REEXTRACT_MARK)[0].removesuffix(RECORDS_SUFFIX), []).append(key)
    return sorted(newest for group in by_warc.values() if (newest := newest_records_key(group)) is not None)


def is_records_key(key: str) -> bool:
    """A records file of the archive's layout (a crawl's, an import's or a re-extraction)."""
    return _RECORDS_KEY.match(key) is not None


def key_day(key: str) -> date | None:
    """The day a WARC or records key is filed under, None for any other key."""
    match = _WARC_KEY.match(key) or _RECORDS_KEY.match(key)
    return date(int(match[1]), int(match[2]), int(match[3])) if match else None


def run_report_key(crawl_id: str) -> str:
    return f"{RUNS_PREFIX}{crawl_id}.json"


def is_run_report_key(key: str) -> bool:
    return key.startswith(RUNS_PREFIX) and key.endswith(".json")


SEEN_SUFFIX = ".sqlite.gz"


def seen_version_key(crawl_id: str) -> str:
    return f"{SEEN_PREFIX}{crawl_id}{SEEN_SUFFIX}"


def digests_key(crawl_id: str) -> str:
    return f"{DIGESTS_PREFIX}{crawl_id}.ndjson.gz"


def texts_key(crawl_id: str) -> str:
    return f"{TEXTS_PREFIX}{crawl_id}.ndjson.gz"
