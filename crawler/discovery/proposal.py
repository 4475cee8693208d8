"""From what the probe saw (crawler/discovery/probe.py) to a sites-file entry, with its reasons and warnings.

Every key proposed rests on evidence a crawl can use: feeds and sitemaps that parsed and list something;
sections among the homepage's navigation links whose page links to at least MIN_SECTION_ARTICLES articles;
article_patterns from crawler/discovery/patterns.py, or none. What stands in a crawl's way (robots.txt rules,
article text that only JavaScript fills in, no dates for a backfill, no sitemap) becomes a warning.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from crawler.discovery.patterns import MIN_SUPPORT, InferredPattern, infer_article_patterns
from crawler.discovery.probe import ROBOTS_DISALLOW, Candidate, Observations, Page, Source, url_template
from crawler.discovery.window import discovered_date, url_dates
from crawler.sites import sites_yaml

MIN_SECTION_ARTICLES = 3
# Sources that list articles (a plain sitemap lists every page): a page they name is an article by the site's say.
LISTING_ARTICLES = frozenset({"feed", "news-sitemap"})
JAVASCRIPT_SHARE = 0.3  # of the articles sampled (by the classifier or the site's say)
MIN_JAVASCRIPT_PAGES = 2
MAX_ROBOTS_WARNINGS = 3
WRAP = 116


@dataclass
class Proposal:
    """The entry, what was found and why (one line each), and what a crawl of it would run into."""

    entry: dict[str, Any]
    findings: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    patterns: list[InferredPattern] = field(default_factory=list)
    javascript: list[str] = field(default_factory=list)  # article pages whose text needs JavaScript
    sections_found: list[str] = field(default_factory=list)

    def as_yaml(self, title: str) -> str:
        """A sites file with the entry, the findings and warnings above it as comments."""
        lines = [f"# {title}", *_wrapped(self.findings, "# ")]
        if self.warnings:
            lines += ["#", *_wrapped([f"warning: {warning}" for warning in self.warnings], "# ")]
        return "\n".join(lines) + "\n" + sites_yaml([self.entry])


def _wrapped(lines: list[str], prefix: str) -> list[str]:
    return [f"{prefix}{part}" for line in lines
            for part in textwrap.wrap(line, WRAP, subsequent_indent="    ", break_long_words=False,
                                      break_on_hyphens=False)]


def said_article(page: Page, observations: Observations) -> bool:
    """An article by the site's own say: its feed or news sitemap lists it, or its og:type / JSON-LD."""
    return page.declared_article or bool(observations.sources_of(page.requested) & LISTING_ARTICLES)


def needs_javascript(page: Page, observations: Observations) -> bool:
    """An article (by the classifier or the site's say) with next to no text in its HTML, and scripts."""
    return ((page.is_article or said_article(page, observations)) and "little-text" in page.signals
            and page.scripts > 0)


def propose(observations: Observations, *, name: str, allow_private_network: bool = False) -> Proposal:
    """The sites-file entry for the site, `render: true` when its articles need JavaScript (docs/rendering.md)."""
    homepage = observations.homepage_url or observations.homepage
    pages = [page for page in observations.pages.values() if page.fetched]
    javascript = [page for page in pages if needs_javascript(page, observations)]
    said = [page for page in pages if page.is_article or said_article(page, observations)]
    # A share, not one page: a short brief has little text too, and every page has scripts.
    needs_render = len(javascript) >= max(MIN_JAVASCRIPT_PAGES, JAVASCRIPT_SHARE * len(said))
    articles = [page.url for page in pages if page.is_article or (needs_render and page in javascript)]
    others = [page.url for page in pages if page.url not in articles]
    patterns = infer_article_patterns(articles, others)
    evidence = _ArticleEvidence(articles, patterns)
    proposal = Proposal(entry={"name": name, "homepage": homepage}, patterns=patterns,
                        javascript=[page.url for page in javascript])
    sections = _sections(observations, pages, evidence, proposal)
    feeds = [s.url for s in observations.sources if s.kind == "feed" and s.usable]
    sitemaps = [s.url for s in observations.sources
                if s.kind == "sitemap" and s.usable and not s.via.startswith("index")]
    hosts = {urlsplit(url).hostname for url in [homepage, *sections, *feeds, *sitemaps]}
    if len(hosts) > 1:
        proposal.entry["allowed_domains"] = sorted(host for host in hosts if host)
    for key, values in (("sections", sections), ("feeds", feeds), ("sitemaps", sitemaps),
                        ("article_patterns", [pattern.regex for pattern in patterns])):
        if values:
            proposal.entry[key] = values
    if allow_private_network:
        proposal.entry["allow_private_network"] = True
    if needs_render:
        proposal.entry["render"] = True
    _describe(observations, pages, articles, others, proposal)
    _warn(observations, articles, evidence, needs_render, proposal)
    return proposal


class _ArticleEvidence:
    """Is a link an article's? Sampled as one, matched by an inferred pattern, or of a sampled article's shape."""

    def __init__(self, articles: list[str], patterns: list[InferredPattern]) -> None:
        self.articles = set(articles)
        self.patterns = patterns
        self.templates = {url_template(url) for url in articles}

    def __call__(self, url: str) -> bool:
        return url in self.articles or any(p.matches(url) for p in self.patterns) or url_template(url) in self.templates


def _sections(observations: Observations, pages: list[Page], is_article: _ArticleEvidence,
              proposal: Proposal) -> list[str]:
    """Navigation pages that are listings of articles (themselves not articles), in navigation order."""
    home = (observations.homepage_url or observations.homepage).rstrip("/")
    order = {url: index for index, url in enumerate(observations.nav_links)}
    chosen, passed = [], []
    for page in sorted((p for p in pages if p.kind == "section"), key=lambda p: order.get(p.requested, len(order))):
        listed = {link for link in page.links if link.rstrip("/") != home and is_article(link)}
        if not page.is_article and len(listed) >= MIN_SECTION_ARTICLES:
            chosen.append(page.url)
            proposal.sections_found.append(f"section {page.url}: links to {len(listed)} articles")
        else:
            passed.append(urlsplit(page.url).path)
    if passed:
        proposal.sections_found.append(f"navigation links not taken as sections (an article, or fewer than "
                                       f"{MIN_SECTION_ARTICLES} article links): {', '.join(passed)}")
    return list(dict.fromkeys(chosen))


def _describe(observations: Observations, pages: list[Page], articles: list[str], others: list[str],
              proposal: Proposal) -> None:
    findings = proposal.findings
    homepage = observations.homepage_url or observations.homepage
    moved = f", redirected from {observations.homepage}" if homepage != observations.homepage else ""
    findings.append(f"homepage {homepage}{moved}")
    if observations.robots_status is None:
        findings.append("robots.txt: could not be fetched (a crawl then obeys no rules there)")
    else:
        delay = f", Crawl-delay {observations.crawl_delay:g} s (a crawl honours it)" if observations.crawl_delay else ""
        findings.append(f"robots.txt: HTTP {observations.robots_status}, {len(observations.robots_sitemaps)} "
                        f"Sitemap line(s){delay}")
    missed: dict[str, list[str]] = {"feed": [], "sitemap": []}
    for source in observations.sources:
        if source.usable:
            findings.append(f"{source.kind} {source.url} (from {source.via}): {_source_contents(source)}")
        elif source.via == "common path":
            missed[source.kind].append(urlsplit(source.url).path)
        else:
            findings.append(f"{source.kind} {source.url} (from {source.via}) not usable: "
                            f"{source.error or 'no entries'}")
    for kind, paths in missed.items():
        if paths:
            findings.append(f"no {kind} at the common paths {', '.join(paths)}")
    by_source = Counter(source for candidate in observations.candidates.values() for source in candidate.sources)
    findings.append(f"links found: {len(observations.candidates)} ("
                    + ", ".join(f"{count} from {source}" for source, count in by_source.most_common()) + ")"
                    + (f"; {len(observations.disallowed)} more that robots.txt disallows" if observations.disallowed
                       else ""))
    sampled = [page for page in observations.pages.values() if page.kind == "sample"]
    failed = [page for page in sampled if page not in pages]
    findings.append(f"sample: {len(sampled)} pages fetched and classified, {len(articles)} articles and "
                    f"{len(others)} other pages in all (homepage and navigation pages included)"
                    + (f"; {len(failed)} failed" if failed else ""))
    candidates = [candidate.url for candidate in observations.candidates.values()]
    for pattern in proposal.patterns:
        reach = sum(pattern.matches(url) for url in candidates)
        findings.append(f"article pattern {pattern.regex} — {pattern.meaning}: {len(pattern.articles)} of the "
                        f"{len(articles)} articles sampled, none of the {len(others)} other pages, {reach} of the "
                        f"{len(candidates)} links found; e.g. {min(pattern.articles)}")
    if not proposal.patterns and articles:
        why = (f"only {len(articles)} articles sampled, fewer than {MIN_SUPPORT}" if len(articles) < MIN_SUPPORT
               else "no URL structure sets the articles sampled apart from the other pages")
        findings.append(f"no article_patterns: {why}; the classifier decides alone, as it does for any page")
    findings += proposal.sections_found
    findings.append(f"requests: {observations.sent} sent" + (
        f"; {observations.over_budget} links left unfetched (request budget spent)" if observations.over_budget
        else ""))


def _source_contents(source: Source) -> str:
    if source.children:
        return f"index of {source.children} sitemaps"
    kind = "news sitemap, " if source.news_entries else ""
    return f"{kind}{source.entries} entries, {source.dated_entries} dated"


def _warn(observations: Observations, articles: list[str], is_article: _ArticleEvidence, needs_render: bool,
          proposal: Proposal) -> None:
    warnings = proposal.warnings
    if observations.homepage_error:
        warnings.append(f"the homepage could not be used ({observations.homepage_error}): what is proposed comes "
                        "from robots.txt, feeds and sitemaps only")
    warnings += _robots_warnings(observations)
    if needs_render:
        warnings.append(f"articles need JavaScript: {len(proposal.javascript)} pages the site calls articles have "
                        f"next to no text in their HTML and scripts to fill it in (e.g. {proposal.javascript[0]}); "
                        "`render: true` is set")
    if not articles:
        warnings.append("no articles among the pages sampled: check the entry by hand (a paywall, a consent wall, a "
                        "page made by JavaScript, or a site that is not a news site?)")
    elif not any((span := url_dates(url)) and span[0] == span[1] for url in articles):
        links = [candidate for candidate in observations.candidates.values() if is_article(candidate.url)]
        datable = sum(discovered_date(candidate.url, candidate.hints) is not None for candidate in links)
        share = (f"all {len(links)} article links found have one" if datable == len(links)
                 else f"{datable} of the {len(links)} article links found have one; a backfill skips the others")
        warnings.append(f"no dated URLs: article URLs carry no day, so a backfill can date an article only by its "
                        f"sitemap or feed date ({share})")
    usable = {source.kind for source in observations.sources if source.usable}
    if "sitemap" not in usable:
        warnings.append("no sitemap found: a crawl finds articles through feeds and links only, and a backfill "
                        "reaches no further back than those")
    if "feed" not in usable and "sitemap" not in usable:
        warnings.append("no feed either: a crawl finds articles only through links from the homepage and sections")
    if observations.internal_errors:
        warnings.append(f"{observations.internal_errors} pages could not be examined (an error in newsarchive: "
                        "--verbose shows it); the proposal rests on the others")
    if observations.over_budget:
        warnings.append(f"the request budget ran out: {observations.over_budget} links were not fetched "
                        "(--max-requests raises it)")


def _robots_warnings(observations: Observations) -> list[str]:
    """robots.txt rules that keep a crawl from links the probe found, by the directory they are in."""
    home_netloc = urlsplit(observations.homepage_url or observations.homepage).netloc
    if observations.homepage_error == ROBOTS_DISALLOW:
        return ["robots.txt disallows the homepage: a crawl starts from it, so it fetches only what feeds and "
                "sitemaps list"]
    by_directory: dict[str, list[Candidate]] = {}
    for url, candidate in observations.disallowed.items():
        if urlsplit(url).netloc == home_netloc:
            by_directory.setdefault(_directory(url), []).append(candidate)
    warnings = []
    for directory, disallowed in sorted(by_directory.items(), key=lambda item: (-len(item[1]), item[0])):
        allowed = [url for url in observations.candidates
                   if urlsplit(url).netloc == home_netloc and _directory(url) == directory]
        example = min(candidate.url for candidate in disallowed)
        if allowed:
            warnings.append(f"robots.txt disallows {len(disallowed)} of the {len(disallowed) + len(allowed)} links "
                            f"found under {directory} (e.g. {example}): a crawl does not fetch them")
        else:
            warnings.append(f"robots.txt disallows {directory}: a crawl does not fetch the {_links(len(disallowed))} "
                            f"found there (e.g. {example})")
    if len(warnings) > MAX_ROBOTS_WARNINGS:
        more = len(warnings) - MAX_ROBOTS_WARNINGS
        warnings = [*warnings[:MAX_ROBOTS_WARNINGS], f"robots.txt disallows links in {more} more directories"]
    return warnings


def _links(count: int) -> str:
    return f"{count} link" if count == 1 else f"{count} links"


def _directory(url: str) -> str:
    """`/news/` for `/news/12345-slug` and for `/news/`; the path itself for a one-segment path."""
    segments = urlsplit(url).path.split("/")[1:]
    return f"/{segments[0]}/" if len(segments) > 1 else "/" + "/".join(segments)


def report(proposal: Proposal, observations: Observations) -> dict[str, Any]:
    """`discover --json`: the entry (also as sites-file YAML), the findings and warnings, and the evidence: every
    page classified (with the classifier's signals), feed and sitemap tried, and pattern kept."""
    javascript = set(proposal.javascript)
    return {
        "entry": proposal.entry,
        "yaml": sites_yaml([proposal.entry]),
        "findings": proposal.findings,
        "warnings": proposal.warnings,
        "article_patterns": [{"regex": p.regex, "meaning": p.meaning, "articles": sorted(p.articles)}
                             for p in proposal.patterns],
        "pages": [{"url": page.url, "requested": page.requested, "kind": page.kind, "status": page.status,
                   "error": page.error, "is_article": page.is_article, "needs_javascript": page.url in javascript,
                   "signals": page.signals} for page in observations.pages.values()],
        "sources": [{"url": s.url, "kind": s.kind, "via": s.via, "entries": s.entries, "children": s.children,
                     "news_entries": s.news_entries, "dated_entries": s.dated_entries, "error": s.error}
                    for s in observations.sources],
        "links_found": len(observations.candidates),
        "links_disallowed": sorted(observations.disallowed),
        "requests": {"sent": observations.sent, "left_unfetched": observations.over_budget},
    }
