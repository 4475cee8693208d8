"""CDXJ index of a finished WARC (`<basename>.cdxj` beside it), the lookup table replay tools use.

Built with `cdxj_indexer` (the indexer pywb itself uses), sorted, with POST bodies appended to the
URL key so POST captures replay. Written as `.open` and renamed, like the WARC, so a file with the
final name is always complete.
"""

from __future__ import annotations

from pathlib import Path

from cdxj_indexer.main import write_cdx_index

from pipelines.layout import cdxj_key_for
from pipelines.store.atomic import partial_path, publish


def write_cdxj(warc_path: Path) -> Path:
    """Index one finished WARC; its lines name the WARC by basename. Refuses to overwrite (write-once)."""
    out = Path(cdxj_key_for(str(warc_path)))
    if out.exists():
        raise FileExistsError(out)
    partial = partial_path(out)
    partial.unlink(missing_ok=True)  # left by a killed run: the index is rebuilt from the WARC
    write_cdx_index(str(partial), [str(warc_path)], {"sort": True, "post_append": True})
    publish(partial, out)
    return out
