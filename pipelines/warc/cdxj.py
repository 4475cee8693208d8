"""CDXJ index of a finished WARC (`<basename>.cdxj` beside it), the lookup table replay tools use.

Built with `cdxj_indexer` (the indexer pywb itself uses), sorted, with POST bodies appended to the
URL key so POST captures replay. Written as `.open` and renamed, like the WARC, so a file with the
final name is always complete; a failed indexing leaves no `.open` behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cdxj_indexer.main import CDXJIndexer

from pipelines.layout import cdxj_key_for
from pipelines.store.atomic import partial_path, publish


class RawPayloadCDXJIndexer(CDXJIndexer):
    """cdxj-indexer, minus the decoding of payloads nobody reads.

    With POST appending, cdxj-indexer buffers every record through warcio's `content_stream()`, which undoes
    Content-Encoding: warcio's br decoder is written for brotlipy and raises AttributeError with Google's brotli
    (which Scrapy needs), and a gzip bomb is inflated whole into a temporary file. Only request bodies are read
    back (the POST query), so every other record is buffered as stored; the index lines are the same.
    """

    def _create_record_iter(self, input_: Any) -> _RawPayloads:
        return _RawPayloads(super()._create_record_iter(input_))


class _RawPayloads:
    """The indexer's ArchiveIterator (offsets and lengths still come from it), yielding non-request records
    whose `content_stream()` is the stored payload."""

    def __init__(self, records: Any) -> None:
        self.records = records

    def __getattr__(self, name: str) -> Any:
        return getattr(self.records, name)

    def __iter__(self) -> Iterator[Any]:
        for record in self.records:
            if record.rec_type != "request":
                record.content_stream = lambda raw=record.raw_stream: raw
            yield record


def write_cdxj(warc_path: Path) -> Path:
    """Index one finished WARC; its lines name the WARC by basename. Refuses to overwrite (write-once)."""
    out = Path(cdxj_key_for(str(warc_path)))
    if out.exists():
        raise FileExistsError(out)
    partial = partial_path(out)
    partial.unlink(missing_ok=True)  # left by a killed run: the index is rebuilt from the WARC
    try:
        with partial.open("w", encoding="utf-8") as fh:
            RawPayloadCDXJIndexer(fh, [str(warc_path)], sort=True, post_append=True).process_all()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    publish(partial, out)
    return out
