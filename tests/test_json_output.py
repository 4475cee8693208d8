"""`--json` on every command that lists or reports: stdout is exactly one JSON document, whatever else the
command says (progress, one line per source) goes to stderr, and the document agrees with the archive."""

import json
import socket
from pathlib import Path
from typing import Any

from tests.conftest import run_cli


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def document(*args: str, env: dict[str, str], code: int = 0) -> Any:
    result = run_cli(*args, "--json", env=env)
    assert result.returncode == code, (args, result.stderr[-3000:])
    return json.loads(result.stdout)  # the whole of stdout parses: nothing else was printed there


def test_every_report_is_json(tmp_path: Path) -> None:
    env = {"ARCHIVE_URI": str(tmp_path / "archive"), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool")}
    demo = document("demo", "--port", str(free_port()), env=env)
    report = demo["report"]
    assert demo["exit_code"] == 0 and demo["report_uri"].endswith(f"runs/{report['crawl_id']}.json")
    assert report["counts"]["records"] > 0 and report["counts"]["responses_4xx"] > 0

    listed = document("warc", "ls", env=env)
    warc_keys = [o["key"] for o in report["objects"] if o["key"].endswith(".warc.gz")]
    assert [w["key"] for w in listed["warcs"]] == warc_keys and listed["count"] == len(warc_keys)

    page = tmp_path / "page.html"
    page.write_text("<html><body>not a WARC</body></html>")
    verified = document("warc", "verify", warc_keys[0], str(page), env=env, code=1)
    assert verified["failed"] == 1
    assert [(f["file"], f["ok"]) for f in verified["files"]] == [(warc_keys[0], True), (str(page), False)]
    assert verified["files"][1]["problems"][0].startswith("not a WARC file")

    exported = document("export", "records", "--format", "jsonl", "--output", str(tmp_path / "r.jsonl"), env=env)
    assert exported["records"] == report["counts"]["records"]
    wacz = document("export", "wacz", "--output", str(tmp_path / "a.wacz"), env=env)
    assert wacz["warcs"] == len(warc_keys) and wacz["pages"] > 0

    status = document("status", env=env)
    assert status["runs"][0]["crawl_id"] == report["crawl_id"]

    warc_file = tmp_path / "archive" / warc_keys[0]
    imported = document("import", str(warc_file), env={**env, "ARCHIVE_URI": str(tmp_path / "other")})
    assert imported["exit_code"] == 0 and imported["report"]["counts"]["records"] == report["counts"]["records"]
    assert imported["report_uri"] == f"{tmp_path / 'other'}/runs/{imported['report']['crawl_id']}.json"
    reextracted = document("reextract", "--force", env=env)
    assert reextracted["report"]["command"] == "reextract"
    assert reextracted["report"]["counts"]["records"] == report["counts"]["records"]
