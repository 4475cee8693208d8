"""Two demo runs into one archive: the second stores unchanged pages as revisits, not as second copies."""

import socket
from pathlib import Path

from pipelines.store.factory import open_store
from tests.archive_checks import ArchiveContents
from tests.conftest import run_cli


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_second_demo_run_writes_revisits(tmp_path: Path) -> None:
    env = {"ARCHIVE_URI": str(tmp_path / "archive"), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool")}
    port = str(free_port())
    first = run_cli("demo", "--port", port, env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    warcs_before = set(ArchiveContents.read(open_store(env["ARCHIVE_URI"])).warcs)
    second = run_cli("demo", "--port", port, env=env)
    assert second.returncode == 0, second.stderr[-3000:]
    contents = ArchiveContents.read(open_store(env["ARCHIVE_URI"]))
    new = [r for key, records in contents.warcs.items() if key not in warcs_before for r in records]
    revisits = [r for r in new if r.type == "revisit"]
    assert revisits, "unchanged pages of the second run must be revisits"
    assert not [r for r in new if r.type == "response" and r.http_status == "200"
                and any(r.uri == v.uri for v in revisits)]
    assert len(contents.reports) == 2
    # The second run found nothing new to archive: `status` does not call that a drop.
    status = run_cli("status", env=env)
    assert status.returncode == 0, status.stderr
    assert "no site flagged" in status.stdout, status.stdout
