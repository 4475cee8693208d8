"""`newsarchive export wacz` on a real demo crawl, checked by py-wacz's own validator and by reading it back."""

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from pipelines.store.factory import open_store
from tests.archive_checks import ArchiveContents, sha256
from tests.conftest import require, run_cli
from tests.tool_envs import ToolEnvError, tool_bin


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wacz") / "archive"
    result = run_cli("demo", env={"ARCHIVE_URI": str(path)})
    assert result.returncode == 0, result.stderr[-2000:]
    return path


def test_export_is_a_valid_wacz(archive: Path, tmp_path: Path) -> None:
    try:
        wacz_bin = tool_bin("wacz")
    except ToolEnvError as error:
        require(False, f"py-wacz tool venv: {error}")
    output = tmp_path / "demo.wacz"
    result = run_cli("export", "wacz", "--output", str(output), env={"ARCHIVE_URI": str(archive)})
    assert result.returncode == 0, result.stderr
    validated = subprocess.run([wacz_bin / "wacz", "validate", "-f", str(output)], capture_output=True, text=True,
                               timeout=300, check=False)
    assert validated.returncode == 0 and "is valid" in validated.stdout, validated.stdout + validated.stderr


def test_wacz_holds_the_warcs_as_stored_and_a_page_per_record(archive: Path, tmp_path: Path) -> None:
    contents = ArchiveContents.read(open_store(str(archive)))
    output = tmp_path / "demo.wacz"
    assert run_cli("export", "wacz", "-o", str(output), "--archive", str(archive)).returncode == 0
    with zipfile.ZipFile(output) as zf:
        package = json.loads(zf.read("datapackage.json"))
        for key in contents.warcs:
            name = "archive/" + Path(key).name
            assert zf.getinfo(name).compress_type == zipfile.ZIP_STORED
            assert zf.read(name) == (archive / key).read_bytes()
        for resource in package["resources"]:
            assert resource["hash"] == "sha256:" + sha256(zf.read(resource["path"]))
        index = zf.read("indexes/index.cdx").decode().splitlines()
        assert index == sorted(index) and len(index) == sum(
            len((archive / k.replace(".warc.gz", ".cdxj")).read_text().splitlines()) for k in contents.warcs)
        header, *pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").splitlines()]
    assert header["format"] == "json-pages-1.0"
    assert {(p["url"], p["title"]) for p in pages} == {(r["url"], r["title"]) for r in contents.records}
    assert not list(tmp_path.glob("*.part"))


def test_empty_range_fails_without_leaving_a_file(archive: Path, tmp_path: Path) -> None:
    output = tmp_path / "none.wacz"
    result = run_cli("export", "wacz", "-o", str(output), "--from", "2999-01-01", "--archive", str(archive))
    assert result.returncode == 1 and "no WARC files" in result.stderr
    assert not output.exists()
