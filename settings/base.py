"""Base Scrapy settings. Politeness first: robots.txt, AutoThrottle, a descriptive User-Agent.

Each setting is defined once, here, as `NAME: Annotated[type, "meaning"] = default`: settings/spec.py reads
the annotations to check NEWSARCHIVE_<NAME> environment values and to generate docs/settings.md
(`python -m crawler.config --write-docs`). Only settings are upper-case (Scrapy
takes every upper-case name of the module).
"""

from typing import Annotated, Literal

from scrapy.settings import default_settings as _scrapy_defaults

from pipelines import __version__
from pipelines.store import base as store
from settings.spec import AtLeast, Bytes, PlainName, Seconds

MiB = 1024 * 1024
ComponentOrder = dict[str, int | None]  # Scrapy component paths → order; null disables one


def user_agent(contact_url: str) -> str:
    """The default User-Agent: who we are and where to complain."""
    return f"newsarchive/{__version__} (+{contact_url})"


BOT_NAME: Annotated[str, "Scrapy's name for the project."] = "newsarchive"
SPIDER_MODULES: Annotated[list[str], "Where Scrapy looks for spiders."] = ["crawler.spiders"]
NEWSPIDER_MODULE: Annotated[str, "Where `scrapy genspider` puts a new spider."] = "crawler.spiders"

# -- where things go ----------------------------------------------------------------------------------------
ARCHIVE_URI: Annotated[str, PlainName(), "Where WARCs and records go: a directory path or s3://bucket/prefix."] = (
    "./archive"
)
SPOOL: Annotated[str, "Local directory where files wait for their verified upload (one sub-folder per archive); "
                      "empty: $XDG_STATE_HOME/newsarchive/spool, else ~/.local/state/newsarchive/spool."] = ""
STATE_DIR: Annotated[str, "Local working copy of the archive's state/ (seen-store); empty: beside the spool."] = ""
S3_PART_SIZE: Annotated[Bytes, "S3 uploads go up in parts of this size (at least 5 MiB)."] = store.DEFAULT_S3_PART_SIZE
S3_MULTIPART_THRESHOLD: Annotated[Bytes, "Files of at least this size go to S3 as multipart uploads."] = (
    store.DEFAULT_S3_PART_SIZE
)
SITES: Annotated[str, "The sites file (YAML) that `crawl` and `backfill` read when --sites is not given."] = (
    "sites.yaml"
)
REDIS_URL: Annotated[str, PlainName(), "Redis shared by crawl processes: with it, every `crawl`/`backfill` started "
                                      "with the same arguments into one archive is a worker of one crawl (frontier, "
                                      "seen-store, dedup index, politeness; docs/distributed.md); empty: "
                                      "single-process mode with local files."] = ""
DISTRIBUTED_LEASE_TIMEOUT: Annotated[Seconds, "A worker of a shared crawl whose heartbeat is this old is dead: the "
                                              "requests it had taken go back to the frontier."] = 60.0
DISTRIBUTED_IDLE_TIMEOUT: Annotated[Seconds, "A shared crawl ends once its frontier is empty and no worker holds "
                                             "a request for this long."] = 30.0
CRAWL_ID: Annotated[str, "Id of the run; empty: generated, e.g. 20261121T050600Z-1a2b3c4d."] = ""

# -- WARC files -------------------------------------------------------------------------------------------
WARC_MAX_SIZE: Annotated[Bytes, "WARC files rotate at this size and at the end of a run."] = 1_000_000_000
WARC_MAX_AGE: Annotated[Seconds, "WARC files also rotate once they are this old (0: never by age), so a long "
                                 "run's WARCs and records files reach the archive as it goes."] = 3600
WARC_INDEX_BATCH: Annotated[Bytes, "A WARC's CDXJ is built while it is written: a worker process indexes each "
                                  "this many bytes of new records, so a closing WARC leaves at most this much to "
                                  "index; 0: the whole file is indexed when it closes."] = 1 * MiB
WARC_OPERATOR: Annotated[str, "The `operator` field of each WARC's warcinfo record (who ran the crawl)."] = ""
ARCHIVE_MAX_RESPONSE_SIZE: Annotated[Bytes, "Longer response bodies are cut and archived with "
                                            "WARC-Truncated: length; 0: no cap."] = 50 * MiB
DOWNLOAD_MAXSIZE: Annotated[Bytes, "Scrapy's own size cap; 0, because it would drop a large response before "
                                   "it is archived (ARCHIVE_MAX_RESPONSE_SIZE cuts it instead)."] = 0
DECODED_MAX_SIZE: Annotated[Bytes, "A gzip/deflate/br/zstd body that decodes to more than this (a decompression "
                                   "bomb) is archived as received but not parsed; 0: no limit."] = 50 * MiB
DOWNLOAD_WARNSIZE: Annotated[Bytes, "Scrapy logs a warning for responses larger than this."] = 10 * MiB

# -- politeness ---------------------------------------------------------------------------------------------
CONTACT_URL: Annotated[str, "Where site owners learn about the crawler; part of the default USER_AGENT."] = (
    "https://github.com/newsarchive/newsarchive"
)
USER_AGENT: Annotated[str, "Say who you are; the default is newsarchive/<version> (+CONTACT_URL)."] = (
    user_agent(CONTACT_URL)
)
ROBOTSTXT_OBEY: Annotated[bool, "Obey robots.txt (including Crawl-delay)."] = True
ROBOTSTXT_PARSER: Annotated[str, "Scrapy's robots.txt parser."] = "scrapy.robotstxt.ProtegoRobotParser"
CONCURRENT_REQUESTS: Annotated[int, AtLeast(1), "Requests in flight at once, all sites together."] = 16
CONCURRENT_REQUESTS_PER_DOMAIN: Annotated[int, AtLeast(1), "Requests in flight at once to one domain."] = 4
# 50 MB, not Scrapy's 5: at 5 MB Scrapy stops downloading once ~25 article pages wait for the extraction worker,
# so the crawl and the worker take turns. 50 MB once cost memory without bound (a waiting response held its parsed
# page, many times its body); since the spider drops that (crawler.spiders.news.forget_parsed_page) it costs little:
# bench/README.md "The scraper slot again".
SCRAPER_SLOT_MAX_ACTIVE_SIZE: Annotated[Bytes, "Response bytes whose items are still in the item pipelines "
                                               "(extraction workers) before Scrapy stops downloading; more keeps "
                                               "the workers busier and costs memory."
                                  ] = 50_000_000
DOWNLOAD_DELAY: Annotated[Seconds, "Delay between requests to one domain (a site's `delay` overrides it)."] = 0.5
DOWNLOAD_DELAY_JITTER: Annotated[float, "±share of the delay picked at random, so requests do not tick like "
                                        "a metronome."] = 0.5
AUTOTHROTTLE_ENABLED: Annotated[bool, "Adapt the delay to the server's response times."] = True
AUTOTHROTTLE_START_DELAY: Annotated[Seconds, "AutoThrottle's first delay."] = 1.0
AUTOTHROTTLE_MAX_DELAY: Annotated[Seconds, "AutoThrottle never waits longer than this."] = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY: Annotated[float, "Requests AutoThrottle aims to have in flight per server."] = 2.0
CRAWL_DELAY_MAX: Annotated[Seconds, "robots.txt Crawl-delay is honoured up to this."] = 60.0
RETRY_AFTER_MAX: Annotated[Seconds, "Retry-After on 429/503 is honoured up to this."] = 300.0
BAN_THRESHOLD: Annotated[int, "This many 403/429/captcha responses among a site's last 2×BAN_THRESHOLD block it "
                              "for the rest of the run (exit code 5); 0: never."] = 10
DOWNLOAD_TIMEOUT: Annotated[Seconds, AtLeast(1), "A request that takes longer fails."] = 30
RETRY_TIMES: Annotated[int, AtLeast(0), "Retries of a failed request (network errors, retryable HTTP statuses)."] = 2
COOKIES_ENABLED: Annotated[bool, "Send cookies back (off: every page as a first-time visitor sees it)."] = False
TELNETCONSOLE_ENABLED: Annotated[bool, "Scrapy's telnet console."] = False
# Scrapy 2.19 turns on an HTTP server that runs Python code sent to it (token in a file under the user's profile):
# a way into an unattended crawler, a job file a read-only container cannot write, and seconds more at shutdown.
REMOTE_CONTROL_ENABLED: Annotated[bool, "Scrapy's remote-control HTTP server (2.19+; it runs Python code sent to "
                                        "it)."] = False

# -- browser capture of sites with `render: true` (crawler/render/, docs/rendering.md) -------------------------
CHROMIUM_PATH: Annotated[str, "The Chromium (or Chrome) executable that renders the pages of sites with "
                              "`render: true`; empty: `chromium` on PATH, else Playwright's own download."] = ""
RENDER_PAGE_TIMEOUT: Annotated[Seconds, "A rendered page whose document is not in and parsed within this long fails "
                                        "(retried like a network error); one whose load event has not come by then "
                                        "(an image or tracker that never answers) is taken as it is."] = 30.0
RENDER_SETTLE_TIME: Annotated[Seconds, "After the load event (or RENDER_PAGE_TIMEOUT), wait at most this long for the "
                                       "page's network to go quiet (scripts fetching the article) before its DOM is "
                                       "taken."] = 10.0
RENDER_PAGES_PER_CONTEXT: Annotated[int, "A site's browser context (cookies, cache, memory) is replaced by a new "
                                         "one after this many pages; 0: never."] = 20
RENDER_MAX_RESOURCE_SIZE: Annotated[Bytes, "A resource a rendered page loads (script, JSON, image) whose body is "
                                           "longer is archived cut, with WARC-Truncated: length."] = 10 * MiB
RENDER_MAX_RESOURCES: Annotated[int, "At most this many exchanges are archived per rendered page (the rest are "
                                     "blocked)."] = 300
RENDER_JS_HEAP: Annotated[Bytes, "JavaScript heap limit of each page (V8's max-old-space-size); a page over it "
                                 "crashes alone and is counted."] = 512 * MiB

# -- what may be requested (crawler/scope.py, crawler/resolver.py) -----------------------------------------
# Only http(s) is ever fetched: Scrapy's handlers for the other schemes are off, so no URL (a file:// link, a
# sitemap <loc>, a redirect) can read a local file or open an FTP session even past crawler/scope.py's check.
DOWNLOAD_HANDLERS: Annotated[ComponentOrder, "Scrapy's download handlers by URL scheme; file, ftp, s3 and data "
                                             "are off (only http and https are ever fetched)."] = {
    "file": None, "ftp": None, "s3": None, "data": None,
}
# The network guard is the reactor's name resolver: non-public addresses are never handed out for a connection
# unless the site opted in (allow_private_network).
if hasattr(_scrapy_defaults, "TWISTED_DNS_RESOLVER"):  # newer Scrapy; older ones know only DNS_RESOLVER
    TWISTED_DNS_RESOLVER: Annotated[str, "The resolver Twisted connects through: the network guard."] = (
        "crawler.resolver.GuardedResolver"
    )
else:
    DNS_RESOLVER: Annotated[str, "The resolver Twisted connects through: the network guard."] = (
        "crawler.resolver.GuardedResolver"
    )
DNSCACHE_SIZE: Annotated[int, "Host names whose addresses the guard keeps cached."] = 10_000
DNSCACHE_TTL: Annotated[Seconds, "A cached answer is used for at most this long (less when its record's TTL "
                                 "is lower)."] = 300.0
DNS_SERVERS: Annotated[list[str], "Ask these DNS servers directly, e.g. [\"10.0.0.2\", \"[::1]:5353\"] (their TTLs "
                                  "are honoured, /etc/hosts is not read); empty: the system resolver."] = []

# -- what the spider follows --------------------------------------------------------------------------------
DEPTH_LIMIT: Annotated[int, AtLeast(0), "How many links away from the homepage and sections the spider goes."] = 2
DEPTH_PRIORITY: Annotated[int, "Scrapy's depth priority (1: nearer pages first)."] = 1
MAX_PAGES_PER_SITE: Annotated[int, "Page budget per site and run: requests sent (duplicates and requests refused "
                                   "before leaving not counted), so about this many responses; 0: no cap."] = 2000
MAX_URLS_PER_SHAPE: Annotated[int, "Spider traps: at most this many link-found non-article URLs of one shape "
                                   "(digits folded) per site; 0: no cap."] = 30
INCREMENTAL: Annotated[bool, "Skip archived articles and unchanged feeds/sitemaps (crawl --refetch: off)."] = True
REVISIT: Annotated[list[str], "Re-fetch schedule of archived articles, durations after first archiving, e.g. "
                              "[\"1h\", \"6h\", \"24h\", \"72h\"]: a change makes a new record version "
                              "(docs/versions.md); a site's `revisit` key overrides it; empty: off."] = []

# -- the run ------------------------------------------------------------------------------------------------
PROGRESS: Annotated[Literal["auto", "rich", "plain", "off"], "Live progress: rich (a live line), plain (log "
                    "lines every PROGRESS_INTERVAL), off; auto: rich on a terminal, plain elsewhere."] = "auto"
PROGRESS_INTERVAL: Annotated[Seconds, "How often plain progress lines are logged."] = 10.0
PROGRESS_PER_SITE: Annotated[bool, "The live line (or plain progress lines) add one line per site: its responses by "
                             "status class (robots.txt included), network failures, articles."] = False
EXTRACT_WORKERS: Annotated[int, AtLeast(-1), "Extraction processes, so the crawl keeps downloading: -1: all cores "
                                             "but one; 0: in the crawl process."] = -1
IMPORT_WORKERS: Annotated[int, AtLeast(-1), "Extraction processes of `import` and `reextract` (the command itself "
                                            "reads the WARCs and writes the records): -1: one per core; 0: in the "
                                            "command's process."] = -1
LOG_LEVEL: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
                     "Scrapy's log level; a crawl with --verbose logs DEBUG, one on a terminal WARNING (the live line "
                     "says the rest)."] = "INFO"
CLOSESPIDER_TIMEOUT: Annotated[Seconds, "Stop a crawl cleanly after this long (crawl/backfill --max-duration; "
                                        "Scrapy's closespider); 0: no limit."] = 0.0
CLOSESPIDER_PAGECOUNT: Annotated[int, "Stop a crawl cleanly after about this many responses (--max-pages; pages, "
                                      "feeds, sitemaps and robots.txt all count; requests in flight finish); "
                                      "0: no limit."] = 0
MIN_FREE_DISK: Annotated[Bytes, "Stop a crawl cleanly (exit code 7) when the spool's disk has less free space "
                                "than this, e.g. 1GB; 0: no floor."] = 0
MONITOR_MIN_COVERAGE: Annotated[dict[str, float], "Monitors: the least share of a site's records (with 5 or "
                                                 "more in the run) that must have each field (title, "
                                                 "published_at, authors, text); a field left out is not "
                                                 "checked."] = {"title": 0.9, "text": 0.9, "published_at": 0.5}
MONITOR_MIN_ARTICLE_RATIO: Annotated[float, "Monitors: a site's articles must be at least this share of its "
                                            "median in recent runs of the same command (3 or more); 0: "
                                            "off."] = 0.5
MONITOR_HISTORY_RUNS: Annotated[int, "Monitors: how many earlier runs of a site the median is taken over."] = 10
ALERT_WEBHOOK: Annotated[str, "Failed monitors are POSTed here as JSON (the run, its report and each failure); "
                              "empty: none. A webhook that does not answer is one warning line."] = ""
METRICS_PORT: Annotated[int, "Serve Prometheus metrics at http://METRICS_ADDRESS:METRICS_PORT/metrics while a "
                              "crawl runs (docs/operations.md); 0: off."] = 0
METRICS_ADDRESS: Annotated[str, "The address /metrics listens on (0.0.0.0: every interface, for a scraper in "
                                "another container)."] = "0.0.0.0"
METRICS_TEXTFILE: Annotated[str, "At the end of a crawl, write its metrics to this file (node-exporter's textfile "
                                 "collector: a path ending in .prom), atomically; empty: none."] = ""
LOG_FORMAT: Annotated[Literal["text", "json"], "Log lines: text (Scrapy's), or json: one JSON object per line "
                      "(time, level, logger, site, url, event, message) for log collectors; the CLI's own lines "
                      "on stderr too, and the live line becomes plain progress lines."] = "text"

# -- the pipeline's components (checked at start-up: none may be missing) ------------------------------------
DOWNLOADER_MIDDLEWARES: Annotated[ComponentOrder, "Scope (per site), archived pages (and redirects to them) not "
                                                  "fetched again, network guard, politeness, bounded content "
                                                  "decoding, capture time stamp; Scrapy's OffsiteMiddleware and "
                                                  "HttpCompressionMiddleware off (scope and decoding own them)."] = {
    # Scrapy's OffsiteMiddleware knows only the union of all sites' domains; crawler.scope checks each site's.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.scope.ScopeMiddleware": 40,
    "crawler.middlewares.archived.ArchivedPageMiddleware": 45,
    "crawler.middlewares.netguard.PrivateNetworkGuardMiddleware": 50,
    "crawler.middlewares.politeness.PolitenessMiddleware": 60,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.bodies.SpiderBodyMiddleware": 590,
    "crawler.extensions.warc_capture.CaptureTimeMiddleware": 1000,
}
EXTENSIONS: Annotated[ComponentOrder, "WARC capture, response size cap, response accounting, live progress, "
                                      "Prometheus metrics, the spool's free-disk floor."] = {
    "crawler.extensions.warc_capture.WarcCaptureExtension": 100,
    "crawler.extensions.size_cap.ResponseSizeCap": 110,
    "crawler.extensions.accounting.ResponseAccounting": 120,
    "crawler.extensions.progress.ProgressExtension": 500,
    "crawler.extensions.metrics.MetricsExtension": 510,
    "crawler.extensions.disk_floor.DiskFloor": 520,
}
ITEM_PIPELINES: Annotated[ComponentOrder, "Extraction, versions, dedup, records."] = {
    "crawler.item_pipelines.ExtractPipeline": 100,
    "crawler.item_pipelines.VersionPipeline": 150,
    "crawler.item_pipelines.DedupPipeline": 200,
    "crawler.item_pipelines.RecordWriterPipeline": 900,
}

REQUEST_FINGERPRINTER_IMPLEMENTATION: Annotated[str, "Scrapy's request fingerprints (older Scrapy)."] = "2.7"
TWISTED_REACTOR: Annotated[str, "The Twisted reactor Scrapy runs on."] = (
    "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
)
FEED_EXPORT_ENCODING: Annotated[str, "Encoding of Scrapy feed exports."] = "utf-8"
