"""The network guard in real crawls: names resolved by a real DNS server over UDP (tests/dns_server.py,
through DNS_SERVERS), real connections, canary listeners on other loopback addresses that must see none.

- DNS rebinding: `rebind.test` answers a public address first and 127.0.0.2 on every later query (TTL 0);
  the guard may see the public one, the connection never goes to the private one.
- Sites whose homepage is a literal spelling of a loopback address (decimal, octal, hex, short, IPv4-mapped,
  [::1], 0.0.0.0) are refused; the opted-in site next to them is crawled as usual.
"""

from datetime import date
from pathlib import Path

import yaml

from tests.conftest import dumped_stats, run_cli
from tests.dns_server import Zone, serve_dns
from tests.fixture_news_site import ARTICLE_PATTERN, FixtureSite, days, serve_fixture_site
from tests.hostile_urls_site import canaries

PUBLIC = "93.184.215.14"
LITERAL_SPELLINGS = ["2130706434", "0177.0.0.3", "0x7f.0.0.2", "127.3", "0x7f000002", "[::ffff:127.0.0.2]",
                     "[::ffff:7f00:3]", "[::1]", "0.0.0.0", "0", "127.0.0.2"]


def test_rebinding_and_literal_spellings_never_reach_a_private_address(tmp_path: Path) -> None:
    gazette = FixtureSite(articles=days(date(2024, 5, 1), 3))
    zone = Zone({"news.test": ["127.0.0.1"], "rebind.test": [PUBLIC, "127.0.0.2"]})
    with canaries(["127.0.0.1", "127.0.0.2", "127.0.0.3", "::1"]) as listening, serve_dns(zone) as dns_server, \
            serve_fixture_site(gazette) as base:
        port = listening[0].port
        news = base.replace("127.0.0.1", "news.test")
        sites = [{"name": "gazette", "homepage": news + "/", "feeds": [news + "/feed.xml"],
                  "allowed_domains": ["news.test"], "article_patterns": [ARTICLE_PATTERN], "delay": 0,
                  "allow_private_network": True},
                 {"name": "rebind", "homepage": f"http://rebind.test:{port}/", "delay": 0}]
        sites += [{"name": f"literal-{i}", "homepage": f"http://{host}:{port}/", "delay": 0}
                  for i, host in enumerate(LITERAL_SPELLINGS)]
        (tmp_path / "sites.yaml").write_text(yaml.safe_dump({"sites": sites}))
        result = run_cli("crawl", "--sites", str(tmp_path / "sites.yaml"), env={
            "ARCHIVE_URI": str(tmp_path / "archive"), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"),
            "NEWSARCHIVE_DNS_SERVERS": f'["{dns_server}"]', "NEWSARCHIVE_DEPTH_LIMIT": "1",
            "NEWSARCHIVE_AUTOTHROTTLE_ENABLED": "false", "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
            "NEWSARCHIVE_DOWNLOAD_TIMEOUT": "5", "NEWSARCHIVE_EXTRACT_WORKERS": "0"})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Traceback" not in output
    assert {canary.address: canary.connections for canary in listening} == {
        canary.address: [] for canary in listening}, "a private address was connected to"
    assert len(listening) >= 3, "canaries on 127.0.0.1-3 at least"
    assert sorted(gazette.paths("/news/")) == sorted(gazette.article_path(d) for d in gazette.articles), \
        "the opted-in site, resolved by the DNS server, is crawled"
    answers = zone.a_answers("rebind.test")
    assert answers[0] == PUBLIC and len(answers) >= 2 and set(answers[1:]) == {"127.0.0.2"}, answers
    refused = dumped_stats(output, "newsarchive/refused/")
    assert refused.get("private_network_at_connect", 0) >= 1, "the rebound answer was refused at connect time"
    assert refused.get("private_network", 0) >= len(LITERAL_SPELLINGS), refused


def test_a_bad_dns_servers_value_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "sites.yaml").write_text(yaml.safe_dump({"sites": [{"name": "a", "homepage": "https://a.example/"}]}))
    result = run_cli("crawl", "--sites", str(tmp_path / "sites.yaml"), env={
        "ARCHIVE_URI": str(tmp_path / "archive"), "NEWSARCHIVE_SPOOL": str(tmp_path / "spool"),
        "NEWSARCHIVE_DNS_SERVERS": '["resolver.example"]'})
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "NEWSARCHIVE_DNS_SERVERS" in result.stderr and "resolver.example" in result.stderr
