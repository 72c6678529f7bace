"""Scrapy settings: static project defaults (``scrapy.cfg`` points here) and per-source settings
built from the validated config by :func:`build_settings`.

No secret ever goes into settings (Scrapy logs overridden settings at INFO): the config reaches
components through the crawl runtime attached to the crawler (:mod:`monitor.crawl.context`); a
``scrapy crawl`` run loads it from the file path.
"""

from __future__ import annotations

from typing import Any

from monitor.config import MonitorConfig, SourceConfig
from monitor.crawl.context import CONFIG_PATH_SETTING, SOURCE_SETTING

BOT_NAME = "news-monitor"
SPIDER_MODULES = ["monitor.spiders"]
NEWSPIDER_MODULE = "monitor.spiders"
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # Scrapy 2.19 opens an HTTP control port by default
ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
# Every skipped page is a DropItem with a counted reason: not worth a log line each.
DEFAULT_DROPITEM_LOG_LEVEL = "DEBUG"
# Scrapy parses every callback's source per crawler to warn about generator return values (4 ms).
WARN_ON_GENERATOR_RETURN_VALUE = False

DOWNLOADER_MIDDLEWARES = {
    "monitor.crawl.middlewares.SafeUrlMiddleware": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "monitor.crawl.robots.RFC9309RobotsTxtMiddleware": 100,
    "monitor.crawl.middlewares.RetryAfterMiddleware": 560,
    "monitor.crawl.middlewares.RedirectGuardMiddleware": 610,
    "monitor.crawl.incremental.ConditionalGetMiddleware": 620,
    # Just before Scrapy's HttpProxyMiddleware (750), which applies meta["proxy"].
    "monitor.crawl.middlewares.ProxyMiddleware": 745,
}
SPIDER_MIDDLEWARES = {
    "monitor.crawl.incremental.RevalidationMiddleware": 940,
    "monitor.crawl.incremental.SeenUrlMiddleware": 950,
}
ITEM_PIPELINES = {"monitor.pipelines.store.StorePipeline": 300}
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "monitor.crawl.extensions.SourceLease": 50,
    "monitor.crawl.extensions.CrawlRunRecorder": 100,
}


def project_defaults() -> dict[str, Any]:
    """The module-level settings above as a dict."""
    return {
        "BOT_NAME": BOT_NAME,
        "SPIDER_MODULES": list(SPIDER_MODULES),
        "NEWSPIDER_MODULE": NEWSPIDER_MODULE,
        "TELNETCONSOLE_ENABLED": TELNETCONSOLE_ENABLED,
        "REMOTE_CONTROL_ENABLED": REMOTE_CONTROL_ENABLED,
        "ROBOTSTXT_OBEY": ROBOTSTXT_OBEY,
        "COOKIES_ENABLED": COOKIES_ENABLED,
        "FEED_EXPORT_ENCODING": FEED_EXPORT_ENCODING,
        "LOG_LEVEL": LOG_LEVEL,
        "DEFAULT_DROPITEM_LOG_LEVEL": DEFAULT_DROPITEM_LOG_LEVEL,
        "WARN_ON_GENERATOR_RETURN_VALUE": WARN_ON_GENERATOR_RETURN_VALUE,
        "DOWNLOADER_MIDDLEWARES": dict(DOWNLOADER_MIDDLEWARES),
        "SPIDER_MIDDLEWARES": dict(SPIDER_MIDDLEWARES),
        "ITEM_PIPELINES": dict(ITEM_PIPELINES),
        "EXTENSIONS": dict(EXTENSIONS),
    }


def build_settings(
    config: MonitorConfig,
    source: SourceConfig,
    *,
    config_ref: str | None = None,  # accepted for old callers; the runtime carries the config
    trigger: str = "manual",
    log_level: str | None = None,
) -> dict[str, Any]:
    """Every Scrapy setting of one source's crawler."""
    crawl = config.crawl
    max_pages = source.max_pages or crawl.max_pages_per_source
    max_depth = crawl.max_depth if source.max_depth is None else source.max_depth
    settings = project_defaults()
    settings.update(
        {
            CONFIG_PATH_SETTING: str(config.path) if config.path else None,
            SOURCE_SETTING: source.name,
            "MONITOR_TRIGGER": trigger,
            "MONITOR_MAX_PAGES": max_pages,
            "MONITOR_MAX_DEPTH": max_depth,
            "USER_AGENT": f"{crawl.user_agent} (+mailto:{crawl.contact})",
            "ROBOTSTXT_OBEY": crawl.obey_robots,
            "ROBOTSTXT_USER_AGENT": crawl.user_agent,
            "CONCURRENT_REQUESTS": crawl.concurrent_requests,
            "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.per_domain_concurrency,
            "DOWNLOAD_DELAY": crawl.download_delay,
            "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
            "AUTOTHROTTLE_START_DELAY": max(crawl.download_delay, 0.5),
            "AUTOTHROTTLE_MAX_DELAY": 60.0,
            "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.per_domain_concurrency),
            "DOWNLOAD_TIMEOUT": crawl.download_timeout,
            "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
            "DOWNLOAD_WARNSIZE": max(1, crawl.max_page_bytes // 2),
            "RETRY_ENABLED": crawl.retry_times > 0,
            "RETRY_TIMES": crawl.retry_times,
            "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
            "REDIRECT_MAX_TIMES": crawl.max_redirects,
            "REDIRECT_ENABLED": True,
            "METAREFRESH_ENABLED": False,
            # Listing pagination is bounded by the spider (max_depth); this is the backstop.
            "DEPTH_LIMIT": max_depth + 4,
            "DEPTH_STATS_VERBOSE": False,
            "URLLENGTH_LIMIT": crawl.max_url_length,
            "CLOSESPIDER_PAGECOUNT": max_pages * 2 + 100,
            "DNSCACHE_ENABLED": True,
            "DNS_TIMEOUT": min(30.0, crawl.download_timeout),
            "DNS_RESOLVER": "monitor.crawl.resolver.GuardedResolver",
            "LOG_LEVEL": log_level or config.logging.level,
            "LOGSTATS_INTERVAL": 60.0,
            "STATS_DUMP": False,
            "SCRAPER_SLOT_MAX_ACTIVE_SIZE": 20_000_000,
            # Per response: the spider yields one item per article page (requests are only
            # enqueued), and Scrapy starts this many asyncio tasks for every response's output.
            "CONCURRENT_ITEMS": 4,
        }
    )
    return settings
