"""robots.txt with RFC 9309 semantics (replaces Scrapy's ``RobotsTxtMiddleware``).

Scrapy parses whatever body the robots.txt request returns, so a 503 error page is read as
"allow all". RFC 9309 §2.3.1: a 4xx ("unavailable") means allow all; a 5xx ("unreachable")
means disallow all, until the server answers again (the next crawl asks again).
"""

from __future__ import annotations

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Response

ALLOW_ALL = b""
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


class RFC9309RobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, reading 4xx as allow-all and 5xx as disallow-all."""

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if 500 <= response.status < 600:
            self._stats.inc_value("robotstxt/unreachable_disallow_all")
            response = response.replace(body=DISALLOW_ALL)
        elif 400 <= response.status < 500:
            response = response.replace(body=ALLOW_ALL)
        await super()._parse_robots(response, netloc, request)
