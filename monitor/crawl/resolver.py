"""A Scrapy DNS resolver that refuses non-public answers (setting ``DNS_RESOLVER``).

The address Scrapy connects to is the one this resolver returns, so vetting it here, at every
resolution (cached answers included), closes the gap between a check and the connection that
DNS rebinding uses. Literal IP URLs never reach a resolver; ``SafeUrlMiddleware`` checks them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from monitor.crawl.context import crawler_config, crawler_source
from monitor.netsafety import FetchPolicy, parse_ip_literal


def vet_answer(name: str, address: str, policy: FetchPolicy) -> str:
    """``address`` if ``policy`` allows connecting to it, else :class:`DNSLookupError`."""
    parsed = parse_ip_literal(address)
    if parsed is None or not policy.allows(parsed):
        raise DNSLookupError(f"{name} resolves to non-public address {address}: refused")
    return address


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing answers the source's fetch policy does not allow."""

    policy: FetchPolicy = FetchPolicy()

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> Self:
        resolver = super().from_crawler(crawler, reactor)
        config = crawler_config(crawler)
        resolver.policy = config.crawl.fetch_policy(
            allow_private=crawler_source(crawler).allow_private
        )
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        answer = super().getHostByName(name, timeout)
        answer.addCallback(lambda address: vet_answer(name, address, self.policy))
        return answer
