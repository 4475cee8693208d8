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
from settings.spec import Bytes, PlainName, Seconds

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
REDIS_URL: Annotated[str, PlainName(), "Redis for the seen-store and dedup index (shared by crawlers); "
                                      "empty: single-process mode with local files."] = ""
CRAWL_ID: Annotated[str, "Id of the run; empty: generated, e.g. 20261121T050600Z-1a2b3c4d."] = ""

# -- WARC files -------------------------------------------------------------------------------------------
WARC_MAX_SIZE: Annotated[Bytes, "WARC files rotate at this size and at the end of a run."] = 1_000_000_000
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
CONCURRENT_REQUESTS: Annotated[int, "Requests in flight at once, all sites together."] = 16
CONCURRENT_REQUESTS_PER_DOMAIN: Annotated[int, "Requests in flight at once to one domain."] = 4
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
DOWNLOAD_TIMEOUT: Annotated[Seconds, "A request that takes longer fails."] = 30
RETRY_TIMES: Annotated[int, "Retries of a failed request (network errors, retryable HTTP statuses)."] = 2
COOKIES_ENABLED: Annotated[bool, "Send cookies back (off: every page as a first-time visitor sees it)."] = False
TELNETCONSOLE_ENABLED: Annotated[bool, "Scrapy's telnet console."] = False

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
DEPTH_LIMIT: Annotated[int, "How many links away from the homepage and sections the spider goes."] = 2
DEPTH_PRIORITY: Annotated[int, "Scrapy's depth priority (1: nearer pages first)."] = 1
MAX_PAGES_PER_SITE: Annotated[int, "Page budget per site and run."] = 2000
MAX_URLS_PER_SHAPE: Annotated[int, "Spider traps: at most this many link-found non-article URLs of one shape "
                                   "(digits folded) per site; 0: no cap."] = 30
INCREMENTAL: Annotated[bool, "Skip archived articles and unchanged feeds/sitemaps (crawl --refetch: off)."] = True

# -- the run ------------------------------------------------------------------------------------------------
PROGRESS: Annotated[Literal["auto", "rich", "plain", "off"], "Live progress: rich (a live line), plain (log "
                    "lines every PROGRESS_INTERVAL), off; auto: rich on a terminal, plain elsewhere."] = "auto"
PROGRESS_INTERVAL: Annotated[Seconds, "How often plain progress lines are logged."] = 10.0
PROGRESS_PER_SITE: Annotated[bool, "The live line (or plain progress lines) add one line of counts per site."] = False
EXTRACT_WORKERS: Annotated[int, "Extraction processes, so the crawl keeps downloading: -1: all cores but one; "
                                "0: in the crawl process."] = -1
IMPORT_WORKERS: Annotated[int, "Extraction processes of `import` and `reextract` (the command itself reads the WARCs "
                               "and writes the records): -1: one per core; 0: in the command's process."] = -1
LOG_LEVEL: Annotated[str, "Scrapy's log level; a crawl with --verbose logs DEBUG, one on a terminal WARNING "
                           "(the live line says the rest)."] = "INFO"

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
EXTENSIONS: Annotated[ComponentOrder, "WARC capture, response size cap, response accounting, live progress."] = {
    "crawler.extensions.warc_capture.WarcCaptureExtension": 100,
    "crawler.extensions.size_cap.ResponseSizeCap": 110,
    "crawler.extensions.accounting.ResponseAccounting": 120,
    "crawler.extensions.progress.ProgressExtension": 500,
}
ITEM_PIPELINES: Annotated[ComponentOrder, "Extraction, dedup, records."] = {
    "crawler.item_pipelines.ExtractPipeline": 100,
    "crawler.item_pipelines.DedupPipeline": 200,
    "crawler.item_pipelines.RecordWriterPipeline": 900,
}

REQUEST_FINGERPRINTER_IMPLEMENTATION: Annotated[str, "Scrapy's request fingerprints (older Scrapy)."] = "2.7"
TWISTED_REACTOR: Annotated[str, "The Twisted reactor Scrapy runs on."] = (
    "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
)
FEED_EXPORT_ENCODING: Annotated[str, "Encoding of Scrapy feed exports."] = "utf-8"
