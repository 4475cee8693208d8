"""`newsarchive extract`: one page to a record, with the extractor the crawler uses."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from crawler.cli_common import app, command_settings, fail, print_json
from crawler.exit_codes import ExitCode


@app.command()
def extract(
    file: Annotated[Path, typer.Argument(help="An HTML file ('-' for standard input).", allow_dash=True)],
    url: Annotated[str, typer.Option("--url", help="The page's URL (for links, canonical URL, domain).")],
    content_type: Annotated[str | None, typer.Option(
        "--content-type", help="HTTP Content-Type, if known (its charset is used).")] = None,
) -> None:
    """Extract one page to a record (JSON on stdout): the same extractor the crawler uses."""
    from pipelines.records.build import standalone_record

    command_settings()  # nothing here is configurable, but a bad environment is still reported, as everywhere
    if str(file) == "-":
        html = sys.stdin.buffer.read()
    else:
        try:
            html = file.read_bytes()
        except FileNotFoundError as error:
            raise fail(ExitCode.NOT_FOUND, f"no such file: {file}") from error
        except OSError as error:
            raise fail(ExitCode.USAGE, f"cannot read {file}: {error.strerror}") from error
    if not url.startswith(("http://", "https://")):
        raise fail(ExitCode.USAGE, f"--url must be an absolute http(s) URL, got {url!r}")
    print_json(standalone_record(html, url, content_type=content_type))
