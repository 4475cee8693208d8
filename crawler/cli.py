"""The operator CLI, `newsarchive`. Commands stay thin: they parse arguments and call the library."""

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from crawler.exit_codes import ExitCode
from crawler.sites import SitesConfigError, default_sites_path, load_sites, parse_sites, select_sites
from pipelines.storage import StoreConfigError

app = typer.Typer(
    name="newsarchive",
    help="Crawl news sites into faithful WARC files and clean article records.\n\n"
    "Output goes to ARCHIVE_URI: a local directory (default ./archive) or s3://bucket/prefix.",
    epilog="Examples:\n\n"
    "  newsarchive demo                                 crawl the bundled demo site into ./archive\n\n"
    "  newsarchive crawl --sites sites.yaml --site herald\n\n"
    "  ARCHIVE_URI=s3://bucket/news newsarchive crawl   (AWS_ENDPOINT_URL for MinIO and others)\n\n"
    "  newsarchive extract page.html --url https://herald.example/2024/05/17/story\n\n"
    "Exit codes: 0 ok · 1 failure · 2 bad usage or config · 3 uploads pending (files kept in the spool) · "
    "130 interrupted.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
log = logging.getLogger("newsarchive")

ArchiveOption = Annotated[str | None, typer.Option(
    "--archive", envvar="ARCHIVE_URI", show_envvar=True,
    help="Where WARCs and records go: a directory or s3://bucket/prefix. [default: ./archive]")]


def fail(code: ExitCode, message: str) -> typer.Exit:
    """Print a one-line error for a human and return the Exit to raise."""
    typer.secho(f"newsarchive: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(int(code))


def crawl_overrides(archive: str | None, verbose: bool) -> dict[str, Any]:
    """Settings the command line decides; the rest comes from settings/ and NEWSARCHIVE_* variables."""
    overrides: dict[str, Any] = {"LOG_LEVEL": "DEBUG" if verbose else "INFO"}
    if archive:
        overrides["ARCHIVE_URI"] = archive
    if sys.stderr.isatty() and not verbose:
        overrides["LOG_LEVEL"] = "WARNING"  # the live display says what INFO lines would
    return overrides


def summarize(report: dict[str, Any] | None, exit_code: ExitCode) -> None:
    """Tell the operator where the output is and what happened."""
    if report is None:
        typer.echo("no run report: the crawl did not start (see the log above)", err=True)
        return
    archive = report["archive"].rstrip("/")
    keys = [o["key"] for o in report["objects"]]
    counts = report["counts"]
    typer.echo(f"\nrun {report['crawl_id']}: {counts['responses']} responses, {counts['articles']} articles, "
               f"{counts['records']} records, {counts['errors']} errors")
    for label, prefix in (("WARCs", "warc/"), ("records", "records/")):
        found = [k for k in keys if k.startswith(prefix) and not k.endswith(".cdxj")]
        typer.echo(f"{label}: {len(found)} file(s) under {archive}/{prefix}")
        for key in found[:5]:
            typer.echo(f"  {archive}/{key}")
    typer.echo(f"run report: {archive}/runs/{report['crawl_id']}.json")
    if exit_code == ExitCode.UPLOAD_PENDING:
        typer.echo(f"{len(report['failed_uploads'])} upload(s) failed; the files are kept in the spool and the "
                   "next run uploads them", err=True)


def run_and_exit(sites: list[Any], overrides: dict[str, Any]) -> None:
    from crawler.runner import run_crawl  # Scrapy import is slow; keep --help fast

    try:
        result = run_crawl(sites, overrides)
    except StoreConfigError as error:
        raise fail(ExitCode.USAGE, str(error)) from error
    summarize(result.report, result.exit_code)
    raise typer.Exit(int(result.exit_code))


@app.command()
def demo(
    archive: ArchiveOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Serve the bundled demo news site on 127.0.0.1 and crawl it into ARCHIVE_URI (about 10 seconds)."""
    from crawler.demo.server import demo_sites_yaml, serve_demo_site

    with serve_demo_site() as base_url:
        typer.echo(f"demo site at {base_url} → archive {archive or os.environ.get('ARCHIVE_URI') or './archive'}")
        sites = parse_sites(yaml.safe_load(demo_sites_yaml(base_url)), source="demo sites")
        overrides = crawl_overrides(archive, verbose) | {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0}
        run_and_exit(sites, overrides)


@app.command()
def crawl(
    sites_file: Annotated[Path | None, typer.Option(
        "--sites", envvar="NEWSARCHIVE_SITES", show_envvar=True,
        help="The sites file (YAML). [default: ./sites.yaml]")] = None,
    site: Annotated[list[str] | None, typer.Option(
        "--site", help="Crawl only this site (by name); repeat for several.")] = None,
    archive: ArchiveOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Crawl the sites of a sites file: every response to WARC, every article to a record."""
    try:
        sites = select_sites(load_sites(sites_file or default_sites_path()), site or [])
    except SitesConfigError as error:
        raise fail(ExitCode.USAGE, str(error)) from error
    run_and_exit(sites, crawl_overrides(archive, verbose))


@app.command()
def extract(
    file: Annotated[Path, typer.Argument(help="An HTML file ('-' for standard input).", allow_dash=True)],
    url: Annotated[str, typer.Option("--url", help="The page's URL (for links, canonical URL, domain).")],
    content_type: Annotated[str | None, typer.Option(
        "--content-type", help="HTTP Content-Type, if known (its charset is used).")] = None,
) -> None:
    """Extract one page to a record (JSON on stdout): the same extractor the crawler uses."""
    from pipelines.extract_record import page_record

    if str(file) == "-":
        html = sys.stdin.buffer.read()
    else:
        try:
            html = file.read_bytes()
        except OSError as error:
            raise fail(ExitCode.USAGE, f"cannot read {file}: {error.strerror}") from error
    if not url.startswith(("http://", "https://")):
        raise fail(ExitCode.USAGE, f"--url must be an absolute http(s) URL, got {url!r}")
    json.dump(page_record(html, url, content_type=content_type), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def main() -> None:
    """Console script entry point."""
    app()
