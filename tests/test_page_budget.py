"""MAX_PAGES_PER_SITE counts requests sent, not links made: a budget of N is N responses.

Real CLI crawls of the fixture site, whose homepage, feed, news sitemap and monthly sitemaps name the same articles
again and again (each link after the first is a duplicate Scrapy drops) and whose robots.txt refuses one linked
page; the assertion is on the requests the server saw.
"""

from datetime import date
from pathlib import Path

import pytest

from tests.fixture_news_site import FixtureSite, days, serve_fixture_site, sites_yaml
from tests.test_incremental import crawl, last_report


@pytest.mark.parametrize("budget", [12, 30])
def test_budget_is_the_number_of_responses(tmp_path: Path, budget: int) -> None:
    site = FixtureSite(articles=days(date(2024, 3, 1), 40))
    with serve_fixture_site(site) as base:
        sites = tmp_path / "sites.yaml"
        sites.write_text(sites_yaml(base))
        crawl(sites, tmp_path, NEWSARCHIVE_MAX_PAGES_PER_SITE=str(budget))
    fetched = [path for path in site.paths() if path != "/robots.txt"]
    assert len(fetched) == budget, sorted(fetched)
    assert len(set(fetched)) == budget, "no page twice"
    report = last_report(tmp_path)
    assert report["per_site"]["gazette"]["fetched"] == budget
