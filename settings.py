"""Scrapy settings for Marsad's crawls: which components run, in what order. No logic here.

Values that come from the config file (delays, timeouts, sizes, robots.txt, the user agent)
are applied on top of these by `crawler.crawl.run.scrapy_settings`.
"""

BOT_NAME = "marsad"
SPIDER_MODULES: list[str] = []

ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 1.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 5_000_000
DOWNLOAD_WARNSIZE = 0
RETRY_ENABLED = True
RETRY_TIMES = 1
# The spider's errback counts and reports every request that failed for good, once per source;
# Scrapy's own "gave up retrying" line would repeat it at ERROR.
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"
REDIRECT_MAX_TIMES = 5
# Each callback output gets this many worker tasks; an article page yields one item, so the
# default of 100 only creates idle tasks (about a fifth of a crawl's CPU on the benchmark).
CONCURRENT_ITEMS = 8
COOKIES_ENABLED = False
# Pages are fetched in the order the spiders request them (a backlog oldest first, see
# spiders.base.oldest_first), not last-requested first.
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
TELNETCONSOLE_ENABLED = False
DOWNLOAD_HANDLERS = {
    "http": "crawler.crawl.handlers.HTTPDownloadHandler",
    "https": "crawler.crawl.handlers.HTTPDownloadHandler",
}
REMOTE_CONTROL_ENABLED = False
DNS_TIMEOUT = 20
# Scrapy's caching resolver, refusing non-public addresses (crawler/crawl/addresses.py); the
# config decides what it allows, through these two settings.
TWISTED_DNS_RESOLVER = "crawler.crawl.addresses.GuardedResolver"
MARSAD_ALLOW_PRIVATE_ADDRESSES = False
MARSAD_PRIVATE_HOSTS: list[str] = []
# Each crawl is one short run of one or a few sources; the reactor must not wait on stragglers.
CLOSESPIDER_TIMEOUT = 0

DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "ar,en;q=0.5",
}

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.crawl.middlewares.CachedRobotsTxtMiddleware": 100,
    # Past the retry middleware (550) on the way out, so that a refused request is not retried.
    "crawler.crawl.addresses.AddressRefusalMiddleware": 560,
}

ITEM_PIPELINES = {
    "crawler.crawl.pipelines.PagePipeline": 100,
}

EXTENSIONS = {
    "crawler.crawl.run.CrawlRunRecorder": 500,
}

LOG_FORMATTER = "crawler.crawl.pipelines.QuietLogFormatter"
LOG_LEVEL = "INFO"
# Marsad installs its own handler (crawler.logs); Scrapy must not add a second one.
LOG_INSTALL_ROOT_HANDLER = False
LOGSTATS_INTERVAL = 0
STATS_DUMP = False
