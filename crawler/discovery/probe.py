"""What `newsarchive discover` saw of a site, and which of the links it found to fetch as a sample.

Pure: the discovery spider (crawler/spiders/discover.py) fills an `Observations` as responses arrive;
crawler/discovery/proposal.py turns it into a sites-file entry. The sample is spread over URL *templates*
(`/news/<id>`, `/<4>/<2>/<2>/<slug>`, `/about`) so one kind of link cannot crowd out the others, while the
big templates, where articles usually are, still get enough pages to support a pattern.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml.html import HtmlElement
from scrapy.linkextractors import IGNORED_EXTENSIONS

from pipelines.extract.metadata.jsonld import is_article_type

# Where the pages a site's navigation links to are: nav elements, ARIA navigation, the page header, and
# elements whose class or id says nav or menu (in that order: the first are the surest).
_NAV_TOKEN = re.compile(r"(?:^|[-_\s])(?:nav|navbar|navigation|menu)(?:$|[-_\s])", re.IGNORECASE)
_ID_RUN = re.compile(r"\d{5,}")
_SLUG = re.compile(r"[^-_]+(?:[-_][^-_]+){2,}")  # three words or more
MAX_SECTION_SEGMENTS = 2
PER_TEMPLATE_FIRST_PASS = 1
PER_TEMPLATE_MAX = 6
ROBOTS_DISALLOW = "robots.txt disallows it"  # why a request was not made, as the observations say it


@dataclass
class Candidate:
    """A link discovery found, with where from (`homepage`, `section`, `feed`, `sitemap`, `news-sitemap`)."""

    url: str
    sources: set[str] = field(default_factory=set)
    hints: dict[str, str] = field(default_factory=dict)


@dataclass
class Source:
    """A feed or sitemap that was tried: `via` robots, homepage (a <link rel=alternate>), probe, or index."""

    url: str
    kind: str  # feed | sitemap
    via: str
    entries: int = 0
    news_entries: int = 0   # news:news entries (news sitemap)
    dated_entries: int = 0  # with a publication date or lastmod
    children: int = 0       # a sitemap index's <sitemap> entries
    error: str | None = None

    @property
    def usable(self) -> bool:
        return self.error is None and (self.entries > 0 or self.children > 0)


@dataclass
class Page:
    """An HTML page fetched (homepage, navigation link or sample) and what the classifier said of it."""

    url: str            # after redirects: what a crawl classifies
    requested: str
    kind: str           # homepage | section | sample
    status: int | None = None
    error: str | None = None
    is_article: bool = False
    signals: list[str] = field(default_factory=list)
    scripts: int = 0
    links: list[str] = field(default_factory=list)  # the links on it

    @property
    def fetched(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @property
    def declared_article(self) -> bool:
        """The page says it is an article (og:type, JSON-LD), whatever its text looks like."""
        return any(signal == "og:type=article" or signal.startswith("og:type=article:")
                   or (signal.startswith("jsonld:") and is_article_type(signal.removeprefix("jsonld:")))
                   for signal in self.signals)


@dataclass
class Observations:
    """Everything the probe learnt; filled by the spider, read by the proposal."""

    homepage: str
    homepage_url: str | None = None       # after redirects
    homepage_error: str | None = None
    private_network: str | None = None    # why the network guard refused the homepage
    robots_status: int | None = None
    robots_sitemaps: list[str] = field(default_factory=list)
    crawl_delay: float | None = None
    sources: list[Source] = field(default_factory=list)
    nav_links: list[str] = field(default_factory=list)
    candidates: dict[str, Candidate] = field(default_factory=dict)
    disallowed: dict[str, Candidate] = field(default_factory=dict)  # robots.txt says no
    pages: dict[str, Page] = field(default_factory=dict)
    requests: int = 0       # scheduled by the probe (the budget counts these and robots.txt)
    sent: int = 0           # that went out: with robots.txt, redirect hops and retries
    over_budget: int = 0    # links not requested because the budget was spent
    interrupted: bool = False
    internal_errors: int = 0  # exceptions in the probe's own callbacks (a bug): logged with --verbose

    def add_candidate(self, url: str, source: str, hints: dict[str, str] | None = None, *,
                      allowed: bool = True) -> None:
        found = (self.candidates if allowed else self.disallowed).setdefault(url, Candidate(url))
        found.sources.add(source)
        for key, value in (hints or {}).items():
            found.hints.setdefault(key, value)

    def sources_of(self, url: str) -> set[str]:
        found = self.candidates.get(url)
        return found.sources if found else set()


def navigation_hrefs(tree: HtmlElement) -> list[str]:
    """hrefs of the page's navigation, surest containers first, in document order within each, no repeats."""
    containers: list[HtmlElement] = []
    containers += tree.xpath("//nav | //*[@role='navigation']")
    containers += tree.xpath("//header")
    containers += [element for element in tree.iter()
                   if isinstance(element.tag, str) and element.tag not in ("a", "body", "html")
                   and _NAV_TOKEN.search(f"{element.get('class', '')} {element.get('id', '')}")]
    found: dict[str, None] = {}
    for container in containers:
        for link in container.iter("a"):
            href = (link.get("href") or "").strip()
            if href and not href.startswith("#"):
                found.setdefault(href, None)
    return list(found)


def segment_template(segment: str) -> str:
    """A path segment with what varies from page to page folded: numbers, ids, slugs."""
    stem, dot, extension = segment.rpartition(".") if "." in segment else (segment, "", "")
    if segment.isdigit():
        return f"<{len(segment)}>"
    if _ID_RUN.search(stem):
        folded = "<id>"
    elif _SLUG.fullmatch(stem):
        folded = "<slug>"
    else:
        return segment.lower()
    return folded + (dot + extension.lower() if dot else "")


def url_template(url: str) -> str:
    """`/news/<id>`, `/<4>/<2>/<2>/<slug>`: the URL's shape, by which the sample is spread."""
    path = urlsplit(url).path
    return "/" + "/".join(segment_template(segment) for segment in path.split("/")[1:])


def looks_like_section(url: str) -> bool:
    """A short path of plain words, as a section front has (`/world/`, `/news/politics`); not an article's."""
    segments = [segment for segment in urlsplit(url).path.split("/") if segment]
    return (0 < len(segments) <= MAX_SECTION_SEGMENTS
            and all(segment_template(segment) == segment.lower() for segment in segments)
            and not urlsplit(url).query)


def is_page_url(url: str) -> bool:
    """Not an image, document or other file a crawl would not classify (Scrapy's own list of extensions)."""
    path = urlsplit(url).path.lower()
    return "." not in path.rsplit("/", 1)[-1] or path.rsplit(".", 1)[-1] not in IGNORED_EXTENSIONS


def choose_sample(candidates: Iterable[Candidate], size: int) -> list[str]:
    """Up to `size` URLs spread over templates: one of each (biggest templates first), then more of the big
    ones, round-robin, up to PER_TEMPLATE_MAX each. Within a template, links the site's feeds and sitemaps list
    come first, then those found on more pages."""
    groups: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        groups[url_template(candidate.url)].append(candidate)
    ordered = sorted(groups.values(), key=lambda group: (-len(group), url_template(group[0].url)))
    for group in ordered:
        group.sort(key=lambda c: (not c.sources & {"feed", "news-sitemap", "sitemap"}, -len(c.sources), c.url))
    return list(_round_robin(ordered, size))


def _round_robin(groups: list[list[Candidate]], size: int) -> Iterator[str]:
    taken = [0] * len(groups)
    chosen = 0
    first_pass = max(1, size // 2)  # one of each template, but leave half the sample for the big ones
    for index, group in enumerate(groups):
        if chosen >= first_pass:
            break
        yield group[0].url
        taken[index], chosen = PER_TEMPLATE_FIRST_PASS, chosen + 1
    while chosen < size:
        progressed = False
        for index, group in enumerate(groups):
            if chosen >= size:
                return
            if len(group) < 2 or taken[index] >= min(len(group), PER_TEMPLATE_MAX):
                continue
            yield group[taken[index]].url
            taken[index] += 1
            chosen += 1
            progressed = True
        if not progressed:
            return
