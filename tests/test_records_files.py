"""pipelines.records.files.RecordsFiles learns that a capture is through the crawl from its holder's finalizer,
which runs wherever the collector frees the holder: the finalizer must never wait for RecordsFiles itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HOLDERS_FREED_BY_THE_COLLECTOR = """
import gc, tempfile
from pathlib import Path
from pipelines.records.files import RecordsFiles

class Holder:
    pass

files = RecordsFiles(lambda key: Path(tempfile.mkdtemp()) / key)
for threshold in range(2, 60):
    gc.set_threshold(threshold)  # collections start at many different points, some inside RecordsFiles' own code
    for i in range(2000):
        holder = Holder()
        holder.me = holder  # only a reference cycle keeps it, as a response's cached selector keeps a request
        files.hold(f"w{i % 7}", holder)
        del holder
        if i % 5 == 0:
            files.warc_closed(f"w{i % 7}")
            files.ready()
print("done")
"""


def test_a_holder_freed_by_a_collection_inside_records_files_does_not_hang_it() -> None:
    """A holder's finalizer runs wherever the collector frees it, also in the middle of RecordsFiles' own code on
    the reactor thread: it must not wait for anything that code holds (it once took the class's lock: the crawl
    hung for ever)."""
    done = subprocess.run([sys.executable, "-c", HOLDERS_FREED_BY_THE_COLLECTOR], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    assert (done.returncode, done.stdout.strip()) == (0, "done"), done.stderr
