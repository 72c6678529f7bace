"""``monitor extract``: run the cleaning and matching stages on saved pages or URLs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from monitor.config import MonitorConfig, resolve_config_path
from monitor.errors import ConfigError, MonitorError
from monitor.processing import (
    FetchedPage,
    PageAnalysis,
    analyze_page,
    query_mismatch_warning,
    relevance_gate,
)

if TYPE_CHECKING:
    from monitor.cli.main import State
    from monitor.netsafety import FetchPolicy

MAX_FETCH_BYTES = 20_000_000


def _config_or_defaults(state: State) -> MonitorConfig:
    try:
        return state.config
    except ConfigError:
        if state.config_path is not None or resolve_config_path(None).exists():
            raise  # a named or present file that is invalid is an error, not "no config"
        return MonitorConfig()  # no config file: the embedded defaults (the default query)


def fetch_url(
    url: str, *, user_agent: str, timeout: float, policy: FetchPolicy, max_redirects: int = 10
) -> tuple[bytes, str | None, str]:
    """Download one page through the guarded fetch (every hop vetted, size-capped)."""
    from monitor.errors import UnsafeURLError
    from monitor.netsafety import guarded_fetch

    try:
        response = guarded_fetch(
            url,
            policy=policy,
            user_agent=user_agent,
            timeout=timeout,
            max_bytes=MAX_FETCH_BYTES,
            max_redirects=max_redirects,
        )
    except UnsafeURLError as exc:
        raise MonitorError(f"{url}: refused: {exc}") from None
    except OSError as exc:
        raise MonitorError(f"{url}: cannot fetch: {exc.strerror or exc}") from None
    if response.status >= 400:
        raise MonitorError(f"{url}: HTTP {response.status}")
    if len(response.body) > MAX_FETCH_BYTES:
        raise MonitorError(f"{url}: page larger than {MAX_FETCH_BYTES} bytes")
    return response.body, response.headers.get("Content-Type"), response.url


def _analysis_json(source: str, analysis: PageAnalysis) -> dict[str, Any]:
    article = analysis.article
    return {
        "input": source,
        "url": analysis.final_url,
        "canonical_url": analysis.canonical_url,
        "skipped": analysis.skip_reason,
        "error": analysis.error,
        "access": analysis.access,
        # The final decision, the one the pipeline stores and alerts on.
        "matched": analysis.matched,
        "query_matched": analysis.query_matched,
        "relevance": analysis.relevance,
        "relevance_reasons": list(analysis.relevance_reasons),
        "near_miss": analysis.near_miss,
        "language_unsupported": analysis.language_unsupported,
        "matched_terms": list(analysis.matched_terms),
        "score": analysis.score,
        "snippet": analysis.snippet,
        "snippet_spans": [list(span) for span in analysis.snippet_spans],
        "title": article.title if article else None,
        "author": article.author if article else None,
        "published_at": article.published_at.isoformat()
        if article and article.published_at
        else None,
        "published_method": str(article.published_method)
        if article and article.published_method
        else None,
        "modified_at": article.modified_at.isoformat() if article and article.modified_at else None,
        "site_name": article.site_name if article else None,
        "language": article.language if article else None,
        "fingerprint": analysis.fingerprint or None,
        "text": analysis.text or None,
    }


def extract_command(
    state: State, inputs: list[str], *, out: Path | None, as_json: bool, console: Console
) -> int:
    """Print or write the seed-format text (and with --json the analysis) of each input."""
    config = _config_or_defaults(state)
    gate = relevance_gate(config)  # a missing or corrupt model: one line, exit 2, at start
    warning = query_mismatch_warning(config)
    if warning:
        print(warning, file=sys.stderr)
    failures = 0
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    for source in inputs:
        try:
            if source.startswith(("http://", "https://")):
                body, content_type, final_url = fetch_url(
                    source,
                    user_agent=f"{config.crawl.user_agent} (+mailto:{config.crawl.contact})",
                    timeout=config.crawl.download_timeout,
                    policy=config.crawl.fetch_policy(),
                    max_redirects=config.crawl.max_redirects,
                )
                page = FetchedPage(
                    source, body, "cli", final_url=final_url, content_type=content_type
                )
            else:
                path = Path(source)
                page = FetchedPage(path.resolve().as_uri(), path.read_bytes(), "cli")
        except (OSError, MonitorError) as exc:
            message = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            print(f"error: {source}: {message}", file=sys.stderr)
            failures += 1
            continue
        analysis = analyze_page(page, config.query.match, relevance=gate)
        if as_json:
            sys.stdout.write(
                json.dumps(_analysis_json(source, analysis), ensure_ascii=False) + "\n"
            )
        if out is not None:
            name = Path(source.rstrip("/").split("?")[0]).stem or "page"
            target = out / f"{name}.txt"
            if analysis.text:
                target.write_text(analysis.text + "\n", encoding="utf-8")
                console.print(f"{source} -> {target}", markup=False)
        elif not as_json:
            if analysis.text:
                sys.stdout.write(analysis.text + "\n")
            else:
                print(f"{source}: skipped ({analysis.skip_reason})", file=sys.stderr)
        if analysis.skip_reason and (out is not None):
            print(f"{source}: skipped ({analysis.skip_reason})", file=sys.stderr)
    return 1 if failures else 0
