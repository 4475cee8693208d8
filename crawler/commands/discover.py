"""`newsarchive discover URL`: probe a new site the way a crawl would and propose its sites-file entry.

The probe is a small Scrapy crawl (crawler/spiders/discover.py) through the crawl's own downloader middlewares,
so robots.txt, the network guard, scope and politeness are the crawl's; it archives nothing. The proposal
(crawler/discovery/proposal.py) is printed as a sites file whose comments say what was found and why.
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from crawler.addresses import ip_literal
from crawler.cli_common import VerboseOption, app, command_settings, fail, print_json
from crawler.exit_codes import ExitCode
from crawler.sites import Site, SitesConfigError, append_site, parse_sites

DEFAULT_BUDGET = 60
MIN_BUDGET = 10


def default_name(url: str) -> str:
    """`herald` for https://www.herald.example/, `bbc` for bbc.co.uk, `127-0-0-1` for an address."""
    from pipelines.extract.urls import registered_domain  # the public-suffix list is slow to load: not for --help

    domain = registered_domain(url)
    label = domain.replace(".", "-").replace(":", "-") if ip_literal(domain) else domain.split(".", 1)[0]
    name = "".join(char for char in label.lower() if char.isascii() and (char.isalnum() or char == "-")).strip("-")
    return name or "site"


def probed_site(url: str, name: str | None, allow_private_network: bool) -> Site:
    """The site to probe, checked by the sites-file rules (a bad URL or --name: exit 2, one line)."""
    from pipelines.extract.urls import registered_domain

    entry = {"name": name or default_name(url), "homepage": url, "allow_private_network": allow_private_network}
    if (domain := registered_domain(url)) and not ip_literal(domain):
        entry["allowed_domains"] = [domain]  # so a homepage that moves to www. (or off it) is followed
    try:
        return parse_sites({"sites": [entry]}, source="discover")[0]
    except SitesConfigError as error:
        where = {"name": "--name", "homepage": "URL"}.get(error.key or "", "discover")
        raise fail(ExitCode.USAGE, f"{where}: {error.message}") from error


def check_sites_file(path: Path, site: Site) -> None:
    """Before probing: could an entry for the site be added to --write's file? (It loads, the name is free.)"""
    try:
        append_site(path, {"name": site.name, "homepage": site.homepage}, write=False)
    except SitesConfigError as error:
        hint = "choose another name with --name" if error.key == "name" else "--write adds to a valid sites file only"
        raise fail(ExitCode.USAGE, f"{error} ({hint}; nothing was fetched)") from error


@app.command()
def discover(
    url: Annotated[str, typer.Argument(metavar="URL", help="The site's homepage, like https://herald.example/",
                                       show_default=False)],
    name: Annotated[str | None, typer.Option(
        "--name", help="The entry's name. [default: from the host name, like 'herald']", show_default=False)] = None,
    write: Annotated[Path | None, typer.Option(
        "--write", metavar="FILE", help="Append the entry to this sites file (created if missing), after checking "
        "the result loads; what the file holds already, comments included, stays as it is.")] = None,
    allow_private_network: Annotated[bool, typer.Option(
        "--allow-private-network", help="The site is on a loopback or private address; the entry then carries "
        "allow_private_network: true, which its crawls need too.")] = False,
    max_requests: Annotated[int, typer.Option(
        "--max-requests", help="Requests the probe may make, robots.txt included (redirect hops and retries "
        "come on top).")] = DEFAULT_BUDGET,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the entry, findings, warnings and every page classified as JSON.")] = False,
    verbose: VerboseOption = False,
) -> None:
    """Probe a new site as a crawl would and print a sites-file entry for it.

    Reads robots.txt, sitemaps and feeds (declared, else at common paths), the homepage and its navigation, then
    fetches and classifies a sample of the links found, and proposes feeds, sitemaps, sections and article_patterns
    with the reasons and warnings as comments. Polite like a crawl (robots.txt, delays, the User-Agent), within a
    small request budget; nothing is archived."""
    # Quiet unless --verbose: every failed request is in the findings, said once and in context.
    settings = command_settings(LOG_LEVEL="DEBUG" if verbose else "CRITICAL")
    if max_requests < MIN_BUDGET:
        raise fail(ExitCode.USAGE, f"--max-requests {max_requests}: the probe needs at least {MIN_BUDGET}")
    site = probed_site(url, name, allow_private_network)
    if write is not None:
        check_sites_file(write, site)
    from crawler.discovery.proposal import propose, report  # Scrapy and Twisted imports are slow; keep --help fast
    from crawler.resolver import ResolverConfigError
    from crawler.runner import run_discovery

    try:
        observations = run_discovery(site, settings, budget=max_requests)
    except ResolverConfigError as error:
        raise fail(ExitCode.USAGE, str(error)) from error
    if observations.interrupted:
        raise fail(ExitCode.INTERRUPTED, "interrupted: nothing proposed")
    if observations.private_network:
        hint = ("link-local, metadata and similar addresses are never crawled" if allow_private_network
                else "pass --allow-private-network if this site is meant to be crawled there")
        raise fail(ExitCode.USAGE, f"{site.homepage}: the network guard refused it ({observations.private_network}); "
                   f"{hint}")
    if observations.homepage_url is None and not any(source.usable for source in observations.sources):
        raise fail(ExitCode.FAILURE, f"{site.homepage}: nothing to go on: the homepage failed "
                   f"({observations.homepage_error or 'no response'}) and no feed or sitemap was found")
    proposal = propose(observations, name=site.name, allow_private_network=allow_private_network)
    if as_json:
        print_json(report(proposal, observations))
    else:
        typer.echo(proposal.as_yaml(f"newsarchive discover {url}"), nl=False)
    if write is not None:
        when = datetime.now(UTC).strftime("%Y-%m-%d")
        try:
            append_site(write, proposal.entry, comment=f"proposed by `newsarchive discover {url}` on {when}")
        except SitesConfigError as error:
            raise fail(ExitCode.USAGE, f"{error} (the file is unchanged)") from error
        typer.echo(f"added site '{site.name}' to {write}", err=True)
