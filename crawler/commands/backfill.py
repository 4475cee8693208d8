"""`newsarchive backfill`: archive what a site published in a date window."""

from typing import Annotated

import typer

from crawler.cli_common import (
    ArchiveOption,
    JsonOption,
    MaxDurationOption,
    MaxPagesOption,
    VerboseOption,
    app,
    day_range,
    run_limits,
)
from crawler.commands.crawling import SitesFileOption, chosen_sites, crawl_settings, run_and_exit


@app.command()
def backfill(
    site: Annotated[list[str], typer.Option("--site", help="The site (by name); repeat for several.")],
    from_: Annotated[str, typer.Option("--from", metavar="YYYY-MM-DD", help="First day of publication (UTC).")],
    to: Annotated[str, typer.Option("--to", metavar="YYYY-MM-DD", help="Last day of publication (UTC).")],
    sites_file: SitesFileOption = None,
    as_json: JsonOption = False,
    max_duration: MaxDurationOption = None,
    max_pages: MaxPagesOption = None,
    archive: ArchiveOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Archive the articles a site published between --from and --to, newest first.

    Dates come from discovery (sitemap news:publication_date or lastmod, feed dates, dates in URLs).

    Nothing outside the window is fetched; sitemaps outside it are not even read.

    Killed or interrupted? Run the same command again: articles already archived are not fetched again."""
    window = day_range(from_, to)
    settings = crawl_settings(archive, verbose, **run_limits(max_duration, max_pages))
    run_and_exit(chosen_sites(sites_file, site, settings), settings, window=window, as_json=as_json)
