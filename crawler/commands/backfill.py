"""`newsarchive backfill`: archive what a site published in a date window."""

from datetime import datetime
from typing import Annotated

import typer

from crawler.cli_common import ArchiveOption, VerboseOption, app, fail
from crawler.commands.crawling import SitesFileOption, chosen_sites, crawl_settings, run_and_exit
from crawler.discovery.window import Window
from crawler.exit_codes import ExitCode


@app.command()
def backfill(
    site: Annotated[list[str], typer.Option("--site", help="The site (by name); repeat for several.")],
    from_: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="First day, YYYY-MM-DD (UTC).")],
    to: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day, YYYY-MM-DD (UTC).")],
    sites_file: SitesFileOption = None,
    archive: ArchiveOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Archive the articles a site published between --from and --to, newest first.

    Dates come from discovery (sitemap news:publication_date or lastmod, feed dates, dates in URLs).

    Nothing outside the window is fetched; sitemaps outside it are not even read.

    Killed or interrupted? Run the same command again: articles already archived are not fetched again."""
    settings = crawl_settings(archive, verbose)
    if from_ > to:
        raise fail(ExitCode.USAGE, f"--from {from_:%Y-%m-%d} is after --to {to:%Y-%m-%d}")
    run_and_exit(chosen_sites(sites_file, site, settings), settings, window=Window(from_.date(), to.date()))
