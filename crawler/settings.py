"""Scrapy settings of nianbao's crawler (``scrapy crawl reports``).

Polite by default: robots.txt obeyed (Crawl-delay too), AutoThrottle, at most 2 concurrent
requests per host, an identifying User-Agent with a contact URL, Retry-After honoured on
429/503, a 瑞数 WAF challenge marks the portal blocked.  Confinement to the registry's
domains and to public addresses (but for portals homed on a private one), Crawl-delay and
WAF detection are middlewares (crawler/middlewares.py); the pipelines are the spine
(raw store → extract → archive.db).
"""
BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# -- where the archive goes ---------------------------------------------------------------
ARCHIVE_DB = "archive.db"  # SQLite archive (extract.store.Archive)
ARCHIVE_DIR = "data/raw"  # raw bytes by sha256, WARC files under ARCHIVE_DIR/warc/
NIANBAO_EXTRACT = True  # run the extractor on new report documents
NIANBAO_EXTRACT_THREADS = 2  # extractions at once (worker threads)
NIANBAO_NAV_DEPTH = 2  # hub pages followed from a homepage to find the report column
NIANBAO_WARC = True

# -- politeness -----------------------------------------------------------------------
NIANBAO_CONTACT_URL = "https://github.com/nianbao/nianbao"
USER_AGENT = "nianbao-crawler/0.1 (+{contact}; archive of government information-disclosure annual reports)"
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOADER = "crawler.downloader.Downloader"  # keeps the per-host limit without a download delay too
DOWNLOAD_DELAY = 0.5
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 100 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_AFTER_MAX = 120  # seconds; a longer Retry-After gives up on the request
NIANBAO_CRAWL_DELAY_MAX = 30.0  # seconds; robots.txt Crawl-delay is honoured up to this (0: ignored)
NIANBAO_DNS_CHECK_TTL = 60.0  # seconds a host's DNS answer is trusted by the private-address guard
COOKIES_ENABLED = False  # not needed; Scrapy's cookie jar would fetch the public-suffix list
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
DEPTH_LIMIT = 200  # a pager trap (an endless 下一页 chain) stops here; real report columns are far shallower
REFERER_ENABLED = True

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.ConfinementMiddleware": 40,
    "crawler.middlewares.DownloadSizeMiddleware": 60,  # its process_exception runs last
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.RobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "crawler.middlewares.ContactUserAgentMiddleware": 400,
    "crawler.middlewares.IncrementalMiddleware": 110,
    "crawler.middlewares.ConditionalGetMiddleware": 120,
    # after the raw-store replay (110, 120: no network, no DNS), before anything is sent
    "crawler.middlewares.AddressGuardMiddleware": 130,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.RetryAfterMiddleware": 550,
    "crawler.middlewares.EncodingFixMiddleware": 580,
    "crawler.middlewares.WafMiddleware": 590,
    # not used: ConfinementMiddleware does the offsite check, and portals need no HTTP auth
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
}
# every object a callback yields passes through each spider middleware: keep the useful ones
# (HttpError, Referer, UrlLength, Depth — DEPTH_LIMIT guards against pager traps)
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}
ITEM_PIPELINES = {
    "crawler.pipelines.RawStorePipeline": 100,
    "crawler.pipelines.ExtractPipeline": 200,
    "crawler.pipelines.StorePipeline": 300,
}
EXTENSIONS = {"crawler.archive.ArchiveExtension": 0}

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
ROBOTSTXT_USER_AGENT = "nianbao-crawler"
# Scrapy 2.19 starts CONCURRENT_ITEMS asyncio workers for every callback's output; our
# callbacks yield a handful of objects, and 100 workers a page cost ~40% of a crawl's CPU.
CONCURRENT_ITEMS = 8

# -- scale-out: several crawl processes (or machines) share one request queue ---------------
# With REDIS_URL in the environment, scrapy-redis schedules: one queue and one duplicate
# filter in Redis, so each URL is fetched by exactly one process; every process keeps its
# own archive DB and raw store (a shard).  Keys are per run (NIANBAO_RUN, default "default"):
# SCHEDULER_PERSIST keeps them when one process finishes while others still crawl, so give
# each new crawl a new NIANBAO_RUN (or delete the two keys) — the old fingerprints would
# otherwise make it fetch nothing.
import os as _os  # noqa: E402

REDIS_URL = _os.environ.get("REDIS_URL") or None
if REDIS_URL:
    SCHEDULER = "scrapy_redis.scheduler.Scheduler"
    DUPEFILTER_CLASS = "scrapy_redis.dupefilter.RFPDupeFilter"
    SCHEDULER_PERSIST = True
    _RUN = _os.environ.get("NIANBAO_RUN") or "default"
    SCHEDULER_QUEUE_KEY = f"nianbao:%(spider)s:{_RUN}:requests"
    SCHEDULER_DUPEFILTER_KEY = f"nianbao:%(spider)s:{_RUN}:dupefilter"
