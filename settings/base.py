"""Base Scrapy settings. Politeness first: robots.txt, AutoThrottle, a descriptive User-Agent."""

from scrapy.settings import default_settings as _scrapy_defaults

from pipelines import __version__

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Where everything goes: a local directory (default) or s3://bucket/prefix.
ARCHIVE_URI = "./archive"
# Unset: single-process mode. Set: distributed crawl (later issue).
REDIS_URL = ""
# WARC files rotate at this size (bytes) and at the end of a run.
WARC_MAX_SIZE = 1_000_000_000
WARC_OPERATOR = ""
# Responses larger than this are cut and recorded with WARC-Truncated: length (crawler/size_cap.py).
ARCHIVE_MAX_RESPONSE_SIZE = 50 * 1024 * 1024
# 0: Scrapy's own cap would drop a large response before it is archived.
DOWNLOAD_MAXSIZE = 0
DOWNLOAD_WARNSIZE = 10 * 1024 * 1024

CONTACT_URL = "https://github.com/newsarchive/newsarchive"
USER_AGENT = f"newsarchive/{__version__} (+{CONTACT_URL})"

ROBOTSTXT_OBEY = True
ROBOTSTXT_PARSER = "scrapy.robotstxt.ProtegoRobotParser"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
DOWNLOAD_DELAY_JITTER = 0.5  # ±50 % around the delay, so requests do not tick like a metronome
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Generic spider: how far from the homepage/sections it follows links, and how many pages at most.
DEPTH_LIMIT = 2
DEPTH_PRIORITY = 1
MAX_PAGES_PER_SITE = 2000
# Live progress: auto (rich on a terminal, log lines elsewhere) | rich | plain | off; plain lines every N s.
PROGRESS = "auto"
PROGRESS_INTERVAL = 10.0
# Crawl id of the run (default: generated, e.g. 20261121T050600Z-1a2b3c4d).
CRAWL_ID = ""
# Incremental crawls: archived articles are not fetched again, unchanged feeds/sitemaps are skipped (--refetch: off).
INCREMENTAL = True
# Local working copy of the archive's state/ (seen-store); default: beside the spool.
STATE_DIR = ""
# Spider traps: at most this many link-found non-article URLs of one shape (digits folded) per site; 0 = no cap.
MAX_URLS_PER_SHAPE = 30
# robots.txt Crawl-delay and Retry-After are honoured up to these caps (seconds); BAN_THRESHOLD 403/429/captcha
# responses among a site's last 2×BAN_THRESHOLD block it for the rest of the run (exit code 5; 0 = never).
CRAWL_DELAY_MAX = 60.0
RETRY_AFTER_MAX = 300.0
BAN_THRESHOLD = 10

# Only http(s) is ever fetched: Scrapy's handlers for the other schemes are off, so no URL (a file:// link, a
# sitemap <loc>, a redirect) can read a local file or open an FTP session even past crawler/scope.py's check.
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None, "data": None}
# The network guard is the reactor's name resolver (crawler/resolver.py): non-public addresses are never handed
# out for a connection unless the site opted in. Answers are cached: DNSCACHE_SIZE names, for at most
# DNSCACHE_TTL seconds (less when the record's TTL is lower). DNS_SERVERS (["1.2.3.4", "[::1]:5353"]) queries
# those servers directly instead of the system resolver (no /etc/hosts then).
if hasattr(_scrapy_defaults, "TWISTED_DNS_RESOLVER"):  # newer Scrapy; older ones know only DNS_RESOLVER
    TWISTED_DNS_RESOLVER = "crawler.resolver.GuardedResolver"
else:
    DNS_RESOLVER = "crawler.resolver.GuardedResolver"
DNSCACHE_SIZE = 10_000
DNSCACHE_TTL = 300.0
DNS_SERVERS: list[str] = []

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's OffsiteMiddleware knows only the union of all sites' domains; crawler.scope checks each site's.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.scope.ScopeMiddleware": 40,
    "crawler.middlewares.netguard.PrivateNetworkGuardMiddleware": 50,
    "crawler.middlewares.politeness.PolitenessMiddleware": 60,
    "crawler.extensions.warc_capture.CaptureTimeMiddleware": 1000,
}
EXTENSIONS = {
    "crawler.extensions.warc_capture.WarcCaptureExtension": 100,
    "crawler.extensions.size_cap.ResponseSizeCap": 110,
    "crawler.extensions.progress.ProgressExtension": 500,
}
# Extraction runs in worker processes so the reactor thread keeps downloading: -1 = all cores but one,
# 0 = in the crawl process.
EXTRACT_WORKERS = -1
ITEM_PIPELINES = {
    "crawler.item_pipelines.ExtractPipeline": 100,
    "crawler.item_pipelines.DedupPipeline": 200,
    "crawler.item_pipelines.RecordWriterPipeline": 900,
}

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
