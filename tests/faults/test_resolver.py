"""The crawl's DNS resolver refuses non-public answers at resolution time (DNS rebinding: the
address Scrapy connects to is the vetted one). Run on a real Twisted reactor in a subprocess."""

from __future__ import annotations

import subprocess
import sys

from tests.faults.helpers import ROOT

_SCRIPT = """
import sys
from ipaddress import ip_network
from twisted.internet import reactor
from monitor.crawl.resolver import GuardedResolver
from monitor.netsafety import FetchPolicy

resolver = GuardedResolver(reactor, 100, 5.0)
resolver.policy = FetchPolicy(public_networks=tuple(ip_network(n) for n in sys.argv[1:]))
results = []

def done(value, name):
    results.append(f"{name} -> {value}")

def failed(failure, name):
    results.append(f"{name} refused: {failure.value}")

def lookup(_previous):
    d = resolver.getHostByName("localhost")
    d.addCallbacks(done, failed, callbackArgs=("localhost",), errbackArgs=("localhost",))
    return d

def run():
    # the second lookup starts after the first ended, so its answer comes from the cache
    d = lookup(None)
    d.addCallback(lookup)
    d.addBoth(lambda _: reactor.stop())

reactor.callWhenRunning(run)
reactor.run()
print("\\n".join(results))
"""


def _resolve(*public_networks: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, *public_networks],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_private_answers_are_refused_even_from_the_cache() -> None:
    lines = _resolve()
    assert len(lines) == 2
    assert all("refused" in line and "127.0.0.1" in line for line in lines), lines


def test_answers_in_public_networks_pass() -> None:
    assert _resolve("127.0.0.0/8") == ["localhost -> 127.0.0.1", "localhost -> 127.0.0.1"]
