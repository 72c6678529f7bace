"""Discovery and crawling: Scrapy settings from the config, middlewares, extensions, the runner.

Entry points: :func:`monitor.crawl.runner.run_crawl` (in-process, one reactor per process),
``python -m monitor.crawl --config FILE --source NAME`` (the child process the CLI and the
daemon start) and :func:`monitor.crawl.check.check_sources` (``monitor sources check``).
"""
