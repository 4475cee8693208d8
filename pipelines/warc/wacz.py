"""WACZ 1.1.1 export: the archive's WARCs, their merged CDXJ index and a page list in one zip.

Everything is streamed: WARCs go from ranged object reads straight into stored (uncompressed) zip entries,
indexes are merged line by line from temp files, and every entry is hashed while it is written, so the
export needs neither memory nor a second pass over the data. The file appears under its name only when
complete.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from pipelines.days import ALL_DAYS, DayRange
from pipelines.layout import cdxj_key_for
from pipelines.records.lookup import copy_object, download, read_records, records_objects, warc_objects
from pipelines.records.types import Record
from pipelines.store.atomic import atomic_file
from pipelines.store.base import ObjectStore

WACZ_VERSION = "1.1.1"
INDEX = "indexes/index.cdx"
PAGES = "pages/pages.jsonl"


class HashingWriter:
    """Counts and SHA-256-hashes what goes into a zip entry."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out, self.size, self.digest = out, 0, hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.out.write(data)


class WaczWriter:
    """Adds entries to the zip and remembers each one's size and hash for datapackage.json."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.resources: list[dict[str, Any]] = []

    @contextmanager
    def entry(self, path: str, *, compress: bool) -> Iterator[HashingWriter]:
        """Write one entry (ZIP64 allowed: WARCs are large); its size and hash are recorded on close."""
        info = zipfile.ZipInfo(path, datetime.now(UTC).timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        with self.zf.open(info, "w", force_zip64=True) as raw:
            writer = HashingWriter(raw)
            yield writer
        self.resources.append({"name": Path(path).name.lower(), "path": path,
                               "hash": "sha256:" + writer.digest.hexdigest(), "bytes": writer.size})


def page(record: Record) -> dict[str, str]:
    """A pages.jsonl line: the article as a replay tool lists it."""
    return {"url": record["url"], "ts": record["fetched_at"], "title": record["title"] or record["url"]}


def wacz_title(days: DayRange) -> str:
    span = f"{days.first or '…'} to {days.last or '…'}" if days.first or days.last else "all days"
    return f"newsarchive export, captures filed {span}"


def export_wacz(store: ObjectStore, output: Path, days: DayRange = ALL_DAYS) -> dict[str, int]:
    """Write the WARCs filed in [start, end] (dates, inclusive) as a WACZ; returns counts for the operator."""
    warcs = warc_objects(store, days)
    if not warcs:
        raise ValueError(f"no WARC files in {store.uri} for that date range")
    keys = {obj.key for obj in warcs}
    pages = 0
    with tempfile.TemporaryDirectory(prefix="newsarchive-wacz-") as scratch, atomic_file(output) as fh, \
            zipfile.ZipFile(fh, "w", allowZip64=True) as zf:
        wacz = WaczWriter(zf)
        for obj in warcs:
            with wacz.entry(f"archive/{Path(obj.key).name}", compress=False) as writer:
                copy_object(store, obj, writer)
        indexes = []
        for key in sorted(keys):
            cdxj_key = cdxj_key_for(key)
            local = Path(scratch) / Path(cdxj_key).name
            if download(store, cdxj_key, local) is None:
                raise ValueError(f"{key} has no index {cdxj_key} yet: the crawl that wrote it did not finish or could "
                                 "not index it (the next crawl from the same spool does)")
            indexes.append(local)
        with wacz.entry(INDEX, compress=True) as writer, ExitStack() as files:
            for line in heapq.merge(*(files.enter_context(path.open("rb")) for path in indexes)):
                writer.write(line)
        with wacz.entry(PAGES, compress=True) as writer:
            writer.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})
                               .encode() + b"\n")
            for obj in records_objects(store, days):
                for record in read_records(store, obj.key):
                    if record["warc"]["key"] in keys:
                        writer.write(json.dumps(page(record), ensure_ascii=False).encode() + b"\n")
                        pages += 1
        package = json.dumps({
            "profile": "data-package", "resources": wacz.resources, "wacz_version": WACZ_VERSION,
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "software": "newsarchive",
            "title": wacz_title(days),  # never the archive's URI: a local path or bucket name is not for sharing
        }, indent=2).encode()
        zf.writestr("datapackage.json", package, zipfile.ZIP_DEFLATED)
        digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package).hexdigest()}
        zf.writestr("datapackage-digest.json", json.dumps(digest), zipfile.ZIP_DEFLATED)
    return {"warcs": len(warcs), "pages": pages, "bytes": output.stat().st_size}
