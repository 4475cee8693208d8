"""The CLI as operators meet it: help, exit codes, and errors that name what to fix."""

import inspect
import json
import subprocess
import sys
from pathlib import Path

import typer
import yaml

from crawler.demo.server import demo_sites_yaml
from pipelines.store.factory import open_store
from tests.archive_checks import ArchiveContents
from tests.conftest import run_cli

FIXTURE_PAGE = Path(__file__).parent / "fixtures" / "seeds"


def test_help_lists_commands_and_exit_codes() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for word in ("demo", "crawl", "extract", "ARCHIVE_URI", "Exit codes"):
        assert word in result.stdout


def test_invalid_sites_file_exits_2_naming_site_and_key(tmp_path: Path) -> None:
    sites = tmp_path / "sites.yaml"
    sites.write_text("sites:\n  - name: herald\n    homepage: https://herald.example/\n"
                     "    article_patterns: ['(unclosed']\n")
    result = run_cli("crawl", "--sites", str(sites), env={"ARCHIVE_URI": str(tmp_path / "archive")})
    assert result.returncode == 2
    assert "herald" in result.stderr and "article_patterns" in result.stderr
    assert not (tmp_path / "archive").exists()


def test_missing_sites_file_and_unknown_site_exit_2(tmp_path: Path) -> None:
    result = run_cli("crawl", "--sites", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and "nope.yaml" in result.stderr
    sites = tmp_path / "sites.yaml"
    sites.write_text("sites:\n  - name: herald\n    homepage: https://herald.example/\n")
    result = run_cli("crawl", "--sites", str(sites), "--site", "gazette")
    assert result.returncode == 2 and "gazette" in result.stderr and "herald" in result.stderr
    assert result.stderr.startswith(f"newsarchive: {sites}: site 'gazette'")  # the file, not "<sites>"


def test_bad_archive_uri_exits_2(tmp_path: Path) -> None:
    sites = tmp_path / "sites.yaml"
    sites.write_text("sites:\n  - name: herald\n    homepage: https://herald.example/\n")
    result = run_cli("crawl", "--sites", str(sites), "--archive", "ftp://nowhere/x")
    assert result.returncode == 2 and "ftp://nowhere/x" in result.stderr


def test_extract_prints_a_record(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("""<html lang="en"><head><title>Rates rise again | The Herald</title>
        <meta property="og:type" content="article"><meta name="author" content="Ann Lee">
        <meta property="article:published_time" content="2024-05-17T09:30:00+02:00"></head>
        <body><nav><a href="/">Home</a> <a href="/world">World</a></nav><article><h1>Rates rise again</h1>
        <p>The central bank raised its main interest rate for the third time this year on Friday, citing
        inflation that has proved more stubborn than its economists expected in the spring.</p>
        <p>Officials said further increases were possible if price growth did not slow over the summer,
        and markets fell sharply after the announcement in the afternoon.</p></article></body></html>""")
    result = run_cli("extract", str(page), "--url", "https://herald.example/2024/05/17/rates")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["title"] == "Rates rise again"
    assert record["authors"] == ["Ann Lee"]
    assert record["published_at"].startswith("2024-05-17T")
    assert "central bank raised" in record["text"] and "Home" not in record["text"]
    assert record["language"] == "en" and record["is_article"] is True


def test_extract_errors_exit_4_for_a_missing_file_else_2(tmp_path: Path) -> None:
    missing = run_cli("extract", str(tmp_path / "missing.html"), "--url", "https://a.example/")
    assert missing.returncode == 4 and missing.stderr == f"newsarchive: no such file: {tmp_path / 'missing.html'}\n"
    assert run_cli("extract", str(tmp_path), "--url", "https://a.example/").returncode == 2  # a directory
    (tmp_path / "p.html").write_text("<p>x</p>")
    assert run_cli("extract", str(tmp_path / "p.html"), "--url", "not-a-url").returncode == 2


def test_private_network_is_refused_unless_the_site_allows_it(demo_site: str, tmp_path: Path) -> None:
    config = yaml.safe_load(demo_sites_yaml(demo_site))
    config["sites"][0]["allow_private_network"] = False
    sites = tmp_path / "sites.yaml"
    sites.write_text(yaml.safe_dump(config))
    archive = tmp_path / "archive"
    result = run_cli("crawl", "--sites", str(sites),
                     env={"ARCHIVE_URI": str(archive), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool")})
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    assert "allow_private_network" in result.stderr
    contents = ArchiveContents.read(open_store(str(archive)))
    assert contents.responses() == {}, "no request may reach a private address"
    assert contents.reports and contents.reports[0]["counts"]["responses"] == 0


def test_version_names_the_package_and_the_extractor() -> None:
    from pipelines import package_version
    from pipelines.extract.version import EXTRACTOR_VERSION

    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"newsarchive {package_version()} (extractor {EXTRACTOR_VERSION})"


USAGE_ERRORS = {  # arguments → (the start of the line, how it ends)
    ("crawl", "--sit", "x"): ("newsarchive crawl: no such option: --sit (did you mean --site or --sites?)",
                              "; see newsarchive crawl --help"),
    ("backfill", "--site", "herald", "--from", "2024-05-01"): ("newsarchive backfill: missing option '--to'",
                                                              "; see newsarchive backfill --help"),
    ("crawl", "--site"): ("newsarchive crawl: option '--site' requires an argument", "; see newsarchive crawl --help"),
    ("status", "--runs", "0"): ("newsarchive status: invalid value for '--runs': ", "; see newsarchive status --help"),
    ("show", "a", "b"): ("newsarchive show: got unexpected extra argument", "; see newsarchive show --help"),
}


def test_usage_errors_are_one_line_naming_the_command_and_exit_2() -> None:
    """Whatever the parser finds wrong: one line on stderr (no usage block, no box) naming the command, what is
    wrong with click's suggestion, and where the help is; exit 2 like every other bad usage."""
    for args, (start, end) in USAGE_ERRORS.items():
        result = run_cli(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stdout == "" and result.stderr.count("\n") == 1, (args, result.stderr)
        assert result.stderr.startswith(start) and result.stderr.endswith(f"{end}\n"), (args, result.stderr)
    suggests = "suggest_commands" in inspect.signature(typer.Typer).parameters  # newer Typer's "did you mean"
    hint = " (did you mean 'ls'?)" if suggests else ""
    typo = run_cli("warc", "lss").stderr
    assert typo == f"newsarchive warc: no such command 'lss'{hint}; see newsarchive warc --help\n"
    logged = run_cli("crawl", "--bogus", env={"NEWSARCHIVE_LOG_FORMAT": "json"})
    assert logged.returncode == 2 and json.loads(logged.stderr)["message"].startswith(
        "newsarchive crawl: no such option: --bogus")
    bare = run_cli()  # no command at all: the help, as before
    assert bare.returncode == 2 and "Usage: newsarchive [OPTIONS] COMMAND" in bare.stdout and bare.stderr == ""


def test_help_loads_no_heavy_library() -> None:
    """`--help` stays fast because the commands import their work only when they run (no timing assertion:
    what is imported decides the time)."""
    code = ("import sys; from crawler.cli import load_commands; load_commands(); "
            "print(' '.join(m for m in ('scrapy', 'twisted', 'trafilatura', 'lxml', 'boto3', 'jsonschema', "
            "'warcio', 'pyarrow', 'importlib.metadata') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []


def test_flags_and_values_read_as_placeholders_in_help() -> None:
    result = run_cli("import", "--help", env={"COLUMNS": "120"})
    assert result.returncode == 0
    assert "<bool>" not in result.stdout and "<str>" not in result.stdout and "<list[str]>" not in result.stdout
    assert "WARC" in result.stdout and "URI" in result.stdout
    discover = run_cli("discover", "--help", env={"COLUMNS": "120"})
    assert "discover [OPTIONS] {URL}" in discover.stdout and "TEXT" not in discover.stdout.split("Options")[0]
