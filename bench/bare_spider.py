"""Baseline for bench/crawl_bench.py: plain Scrapy fetching the same pages as `newsarchive crawl`.

    python bench/bare_spider.py --sites sites.yaml --stats-out stats.json

It walks the same discovery as crawler.spiders.news.NewsSpider (homepage and sections, robots.txt
`Sitemap:` lines, feeds, sitemaps, same-site links with the same depth limit, priorities and deny
patterns) under the project's own Scrapy settings, but has no WARC capture, no HTML parse beyond
link extraction, no extraction, no records and no uploads: the difference in pages/s is what the
newsarchive pipeline costs. Settings come from crawler.config.load_settings, as for the CLI, or
straight from the `settings` module when that cannot be imported, so the baseline still runs
while the pipeline's modules are mid-change.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

import yaml
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.settings import Settings, default_settings
from scrapy.utils.sitemap import Sitemap

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json")
# newsarchive components the baseline must not run; everything else (concurrency, robots, depth,
# retries, timeouts, reactor, NEWSARCHIVE_* environment overrides) is shared with the full crawl.
PROJECT_COMPONENTS = ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "EXTENSIONS", "ITEM_PIPELINES")
_FEED_LINK_RE = re.compile(rb"<link>\s*([^<\s]+)\s*</link>|<link[^>]*\bhref=\"([^\"]+)\"")


def baseline_settings() -> Settings:
    """The project's Scrapy settings (settings/base.py + env overrides) minus newsarchive's components.

    Prefers crawler.config.load_settings, the function the CLI uses; falls back to loading the same
    `settings` module directly when it cannot be imported (pipeline modules mid-change).
    """
    try:
        from crawler.config import load_settings

        settings = load_settings()
    except ImportError as error:
        print(f"bare_spider: crawler.config not importable ({error}); reading settings/ directly",
              file=sys.stderr)
        settings = Settings()
        settings.setmodule("settings", priority="project")
    for name in PROJECT_COMPONENTS:
        settings.set(name, {}, priority="cmdline")
    # The network guard (crawler.resolver) is a newsarchive component too, and without the netguard middleware
    # it would refuse the bench site's private address: Scrapy's own resolver.
    name = "TWISTED_DNS_RESOLVER" if hasattr(default_settings, "TWISTED_DNS_RESOLVER") else "DNS_RESOLVER"
    settings.set(name, getattr(default_settings, name), priority="cmdline")
    settings.set("SPIDER_MODULES", [], priority="cmdline")
    return settings


def _host_in(host: str | None, domains: list[str]) -> bool:
    """Host is one of the domains or a subdomain of one, ports ignored (as pipelines.extract.urls.host_in_domains)."""
    host = (host or "").lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in domains)


class BareSpider(Spider):
    """Follows what NewsSpider follows, with the same priorities; keeps nothing."""

    name = "bare"

    def __init__(self, site: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.site = site
        self.allowed_domains = list(site.get("allowed_domains") or [urlsplit(site["homepage"]).hostname])
        # Not LinkExtractor(allow_domains=...): Scrapy matches those against the netloc with its port, which
        # drops every link of a site on an explicit port (the demo site); hosts are checked in parse().
        self.links = LinkExtractor(deny=list(site.get("deny_patterns") or []))

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.robots_parsed, signal=signals.robots_parsed)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        for url in (self.site["homepage"], *self.site.get("sections", [])):
            yield Request(url, callback=self.parse, priority=10)
        for url in self.site.get("feeds", []):
            yield Request(url, callback=self.parse_feed, priority=15)
        for url in self.site.get("sitemaps", []):
            yield Request(url, callback=self.parse_sitemap, priority=15)

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        """`Sitemap:` lines of the robots.txt RobotsTxtMiddleware fetched (no second fetch, as NewsSpider)."""
        protego = getattr(robotparser, "rp", None)
        if protego is None or self.crawler.engine is None:
            return
        parts = urlsplit(request.url)
        for url in protego.sitemaps:
            self.crawler.engine.crawl(Request(urljoin(f"{parts.scheme}://{parts.netloc}/robots.txt", url),
                                              callback=self.parse_sitemap, priority=15))

    def parse(self, response: Response, **_: Any) -> Iterator[Request]:
        """HTML page: feed <link>s and same-site links (NewsSpider does the same after classifying)."""
        if not isinstance(response, TextResponse) or b"html" not in (response.headers.get(b"Content-Type") or b"html"):
            return
        for link in response.xpath("//link[@rel='alternate'][@href]"):
            if (link.attrib.get("type") or "").strip().lower() in FEED_TYPES:
                yield Request(urljoin(response.url, link.attrib["href"]), callback=self.parse_feed, priority=15)
        for link in self.links.extract_links(response):
            if _host_in(urlsplit(link.url).hostname, self.allowed_domains):
                yield Request(link.url, callback=self.parse)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        sitemap = Sitemap(response.body)
        for entry in sitemap:
            callback = self.parse_sitemap if sitemap.type == "sitemapindex" else self.parse
            yield Request(entry["loc"], callback=callback, priority=15 if callback == self.parse_sitemap else 5)

    def parse_feed(self, response: Response) -> Iterator[Request]:
        """RSS <link> or Atom <link href>; a regex is enough for a baseline."""
        for match in _FEED_LINK_RE.finditer(response.body):
            url = (match[1] or match[2]).decode("utf-8", "replace")
            if url.startswith(("http://", "https://", "/")):
                yield Request(urljoin(response.url, url), callback=self.parse, priority=5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=Path, required=True, help="sites file (YAML); its first site is crawled")
    parser.add_argument("--stats-out", type=Path, help="write Scrapy's final stats here as JSON")
    args = parser.parse_args(argv)
    site = yaml.safe_load(args.sites.read_text(encoding="utf-8"))["sites"][0]
    process = CrawlerProcess(baseline_settings())
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, site=site)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    if args.stats_out:
        args.stats_out.write_text(json.dumps(stats, default=str, indent=2, sort_keys=True), encoding="utf-8")
    return 0 if stats.get("downloader/response_count") else 1


if __name__ == "__main__":
    sys.exit(main())
