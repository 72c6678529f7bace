"""One TOML file loaded into one validated model: the only place settings come from.

Resolution: ``--config FILE``, else ``$MONITOR_CONFIG``, else ``./monitor.toml``. Environment
overrides: ``MONITOR_DATABASE_URL`` (database URL), ``MONITOR_SMTP_PASSWORD``,
``MONITOR_WEB_TOKEN`` (the console's admin token) and ``MONITOR_PROXY_USER`` /
``MONITOR_PROXY_PASSWORD`` (the crawl proxy's credentials; secrets are never in the file, never
printed).
No other module reads the environment for settings.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor.errors import ConfigError
from monitor.schedule import Schedule, parse_schedule

if TYPE_CHECKING:
    from monitor.netsafety import FetchPolicy

CONFIG_ENV = "MONITOR_CONFIG"
DATABASE_URL_ENV = "MONITOR_DATABASE_URL"
SMTP_PASSWORD_ENV = "MONITOR_SMTP_PASSWORD"
WEB_TOKEN_ENV = "MONITOR_WEB_TOKEN"
PROXY_USER_ENV = "MONITOR_PROXY_USER"
PROXY_PASSWORD_ENV = "MONITOR_PROXY_PASSWORD"
DEFAULT_CONFIG_PATH = Path("monitor.toml")

SourceType = Literal["site", "google_news", "bing_news", "gdelt"]
Frequency = Literal["instant", "hourly", "daily", "weekly"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_schedule(value: str) -> str:
    parse_schedule(value)
    return value


def _from_environment_only(value: Any, what: str, variable: str) -> Any:
    """A secret comes from the environment (a ``SecretStr`` by then), never from the file."""
    if value is not None and not isinstance(value, SecretStr):
        raise ValueError(f"put {what} in ${variable}, not in the file")
    return value


def _check_query(value: str) -> str:
    from monitor.errors import QuerySyntaxError
    from monitor.query import compile_query

    try:
        compile_query(value)
    except QuerySyntaxError as exc:
        raise ValueError(f"invalid query: {exc}") from exc
    return value


class DatabaseConfig(_Strict):
    """Where articles, runs and alerts live."""

    url: str = "sqlite:///data/monitor.db"
    busy_timeout_ms: int = Field(30_000, ge=0)
    # How long a write waits for a server that went away (a PostgreSQL restart) before the
    # write fails and the crawl run with it.
    reconnect_seconds: float = Field(30.0, ge=0)


class QueueConfig(_Strict):
    """The distributed deployment: polls travel through a Redis stream to ``monitor worker``s."""

    url: str | None = None
    stream: str = "monitor:polls"
    group: str = "crawl-workers"

    @field_validator("url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("queue.url must be redis://HOST:PORT/DB (or rediss://, unix://)")
        return value


class QueryConfig(_Strict):
    """The analysts' query that decides which articles are relevant."""

    match: str = Field("", validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _no_min_score(cls, data: Any) -> Any:
        if isinstance(data, dict) and "min_score" in data:
            raise ValueError(
                "min_score was removed: the relevance model decides ([relevance] threshold)"
            )
        return data

    @field_validator("match")
    @classmethod
    def _valid_query(cls, value: str) -> str:
        if not value.strip():
            from monitor.query import DEFAULT_QUERY

            return DEFAULT_QUERY
        return _check_query(value)


class RelevanceConfig(_Strict):
    """Stage 2: the relevance model that judges whether a query match is about the topic."""

    enabled: bool = True
    # None: the model's own threshold.
    threshold: float | None = Field(None, ge=0, le=1)
    # A model file, relative to the config file; None: the packaged Russia–Cuba model.
    model: Path | None = None


def _check_proxy(value: str | None) -> str | None:
    """A proxy is ``http(s)://HOST:PORT``, without credentials (they come from the environment)."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"proxy {value!r} is not an http(s)://HOST:PORT URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            f"put the proxy's credentials in ${PROXY_USER_ENV} and ${PROXY_PASSWORD_ENV}, "
            "not in the URL"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"proxy {value!r} must be http(s)://HOST:PORT (no path)")
    return value


class SourceConfig(_Strict):
    """One source: a site's feeds, sitemaps and section pages, or a news-search feed."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    type: SourceType = "site"
    site: str | None = None
    feeds: list[str] = []
    sitemaps: list[str] = []
    pages: list[str] = []
    schedule: str = "every 30 minutes"
    enabled: bool = True
    allow_private: bool = False
    query: str | None = None
    language: str = "en"
    region: str = "US"
    max_depth: int | None = Field(None, ge=0, le=10)
    max_pages: int | None = Field(None, ge=1)
    lookback_days: float | None = Field(None, gt=0)
    # This source's requests go through this proxy (else through ``[crawl] proxy``, if set).
    proxy: str | None = None

    _check_sched = field_validator("schedule")(classmethod(lambda cls, v: _check_schedule(v)))
    _check_proxy = field_validator("proxy")(classmethod(lambda cls, v: _check_proxy(v)))

    @field_validator("query")
    @classmethod
    def _valid_source_query(cls, value: str | None) -> str | None:
        return None if value is None else _check_query(value)

    @field_validator("site", "feeds", "sitemaps", "pages")
    @classmethod
    def _http_urls(cls, value: Any) -> Any:
        for url in [value] if isinstance(value, str) else value or []:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{url!r} is not an http(s) URL")
        return value

    @model_validator(mode="after")
    def _has_something_to_crawl(self) -> SourceConfig:
        if self.type == "site" and not (self.site or self.feeds or self.sitemaps or self.pages):
            raise ValueError("a site source needs at least one of site, feeds, sitemaps or pages")
        return self

    def check_public(self, public_networks: list[IPvAnyNetwork], index: int) -> None:
        """ValueError unless every start URL is public (as written) or the source allows private."""
        if self.allow_private:
            return
        from monitor.errors import UnsafeURLError
        from monitor.netsafety import check_public_url, parse_ip_literal

        for url in self.urls():
            literal = parse_ip_literal(urlsplit(url).hostname or "")
            if literal is not None and any(literal in n for n in public_networks):
                continue
            try:
                check_public_url(url, resolve=False)
            except UnsafeURLError as exc:
                raise ValueError(
                    f"sources[{index}]: {exc} (set allow_private = true for a local source)"
                ) from exc

    def urls(self) -> list[str]:
        """Every start URL the source names."""
        return [*([self.site] if self.site else []), *self.feeds, *self.sitemaps, *self.pages]

    @property
    def parsed_schedule(self) -> Schedule:
        return parse_schedule(self.schedule)


class RecipientConfig(_Strict):
    """An analyst who receives digests."""

    address: Annotated[str, Field(pattern=r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")]
    frequency: Frequency = "daily"
    timezone: str = "UTC"
    query: str | None = None
    nothing_new: bool = False
    channels: list[str] = []

    @field_validator("timezone")
    @classmethod
    def _valid_tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("query")
    @classmethod
    def _valid_recipient_query(cls, value: str | None) -> str | None:
        return None if value is None else _check_query(value)


class EmailConfig(_Strict):
    """SMTP delivery and the analysts who get digests."""

    smtp_host: str = "localhost"
    smtp_port: int = Field(25, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "none"
    username: str | None = None
    timeout_seconds: float = Field(30.0, gt=0)
    # The daemon's digest runs (instant and scheduled) end within this many seconds: every
    # SMTP timeout is cut to the time left, the rest waits for the next run.
    run_deadline_seconds: float = Field(120.0, gt=0)
    # A digest that cannot be delivered is given up this long after it was created
    # (elapsed time, not a number of runs: a short outage must not lose a daily digest).
    give_up_after_hours: float = Field(24.0, gt=0)
    # security = "none" with a username would send the password in clear: refused unless this
    # is set (a relay on the same machine).
    allow_plaintext_login: bool = False
    sender: str = "monitor@example.org"
    recipients: list[RecipientConfig] = []
    suppressed: list[str] = []
    digest_schedule: str = "0 7 * * *"
    priority_query: str | None = None
    unsubscribe_url: str | None = None
    # List stories already sent to a recipient whose articles were edited since, in a
    # separate "updated" section of the next digest.
    updated_section: bool = False
    password: SecretStr | None = Field(None, exclude=True, repr=False)

    _check_sched = field_validator("digest_schedule")(
        classmethod(lambda cls, v: _check_schedule(v))
    )

    @field_validator("recipients", mode="before")
    @classmethod
    def _plain_addresses(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"address": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("priority_query")
    @classmethod
    def _valid_priority_query(cls, value: str | None) -> str | None:
        return None if value is None else _check_query(value)

    @field_validator("password", mode="before")
    @classmethod
    def _no_password_in_file(cls, value: Any) -> Any:
        return _from_environment_only(value, "the SMTP password", SMTP_PASSWORD_ENV)

    def active_recipients(self) -> list[RecipientConfig]:
        """Recipients minus the suppression list."""
        suppressed = {s.lower() for s in self.suppressed}
        return [r for r in self.recipients if r.address.lower() not in suppressed]


class CrawlConfig(_Strict):
    """Politeness, limits and incremental-crawl settings shared by every source."""

    user_agent: str = "RussiaCubaNewsMonitor/0.1"
    contact: str = "monitor@example.org"
    obey_robots: bool = True
    lookback_days: float = Field(3.0, gt=0)
    max_page_bytes: int = Field(5_000_000, ge=10_000)
    download_timeout: float = Field(30.0, gt=0)
    concurrent_requests: int = Field(16, ge=1, le=256)
    per_domain_concurrency: int = Field(2, ge=1, le=64)
    autothrottle: bool = True
    download_delay: float = Field(0.0, ge=0)
    retry_times: int = Field(3, ge=0, le=10)
    # Seconds of Retry-After one host may make a crawl wait in all; beyond it the host's
    # requests are deferred to the next crawl (stored), not held.
    max_retry_after: float = Field(60.0, ge=0)
    max_depth: int = Field(2, ge=0, le=10)
    max_pages_per_source: int = Field(2000, ge=1)
    max_url_length: int = Field(2000, ge=100)
    max_redirects: int = Field(10, ge=0, le=30)
    extract_workers: int = Field(0, ge=0, le=64)
    # Conditional re-fetches of a matched article this many hours after it was first seen
    # (an edit the feed does not signal is found so); [] switches revalidation off.
    revalidate_after_hours: list[float] = Field(default_factory=lambda: [1.0, 6.0, 24.0])
    # CIDRs treated as public by the SSRF guard (tests mark a loopback range; never 0.0.0.0/0
    # in production: it switches the guard off).
    public_networks: list[IPvAnyNetwork] = []
    # Every source's requests through this HTTP proxy (a source's own ``proxy`` wins), by
    # Scrapy's HttpProxyMiddleware; credentials only from $MONITOR_PROXY_USER/_PASSWORD.
    proxy: str | None = None
    proxy_user: SecretStr | None = Field(None, exclude=True, repr=False)
    proxy_password: SecretStr | None = Field(None, exclude=True, repr=False)

    _check_proxy = field_validator("proxy")(classmethod(lambda cls, v: _check_proxy(v)))

    @field_validator("proxy_user", "proxy_password", mode="before")
    @classmethod
    def _no_proxy_secret_in_file(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, SecretStr):
            raise ValueError(
                f"put the proxy's credentials in ${PROXY_USER_ENV} and ${PROXY_PASSWORD_ENV}, "
                "not in the file"
            )
        return value

    def proxy_url(self, source: SourceConfig) -> str | None:
        """The proxy for ``source``'s requests, credentials included (for the request's meta
        only: Scrapy's HttpProxyMiddleware moves them into a Proxy-Authorization header); None
        when the source goes direct."""
        proxy = source.proxy or self.proxy
        if proxy is None or self.proxy_user is None:
            return proxy
        from urllib.parse import quote

        parts = urlsplit(proxy)
        user = quote(self.proxy_user.get_secret_value(), safe="")
        password = self.proxy_password.get_secret_value() if self.proxy_password else ""
        return f"{parts.scheme}://{user}:{quote(password, safe='')}@{parts.netloc}"

    def fetch_policy(self, *, allow_private: bool = False) -> FetchPolicy:
        """The SSRF guard's policy for one fetch (see :func:`monitor.netsafety.guarded_fetch`)."""
        from monitor.netsafety import FetchPolicy

        return FetchPolicy(allow_private, tuple(self.public_networks))


class DaemonConfig(_Strict):
    """The long-running scheduler."""

    timezone: str = "UTC"
    misfire_grace_seconds: int = Field(6 * 3600, ge=1)
    lease_seconds: int = Field(2 * 3600, ge=10)
    lease_ttl_seconds: int = Field(60, ge=5)
    heartbeat_seconds: float = Field(15.0, gt=0)
    retention_days: int = Field(90, ge=1)
    housekeeping_schedule: str = "every 6 hours"
    failure_alert_after: int = Field(3, ge=1)
    silent_alert_days: float = Field(3.0, gt=0)
    adaptive_polling: bool = True
    max_poll_factor: int = Field(4, ge=1, le=48)

    _check_sched = field_validator("housekeeping_schedule")(
        classmethod(lambda cls, v: _check_schedule(v))
    )

    @model_validator(mode="after")
    def _heartbeat_within_ttl(self) -> DaemonConfig:
        if self.heartbeat_seconds * 2 > self.lease_ttl_seconds:
            raise ValueError("heartbeat_seconds must be at most half of lease_ttl_seconds")
        return self


class ArchiveConfig(_Strict):
    """The page archive: every fetched article page kept compressed for ``monitor reprocess``."""

    enabled: bool = True
    max_age_days: float = Field(30.0, gt=0)
    max_mb: float = Field(500.0, gt=0)


class WorkerConfig(_Strict):
    """The long-running crawl worker (``monitor run`` starts one; ``monitor worker`` is one)."""

    concurrent_polls: int = Field(16, ge=1, le=1000)
    max_polls: int = Field(1000, ge=1)
    max_rss_mb: int = Field(1024, ge=64)
    claim_interval_seconds: float = Field(0.5, gt=0, le=60)


class WebConfig(_Strict):
    """The web console (``monitor web``): login sessions and the login rate limit."""

    session_hours: float = Field(12.0, gt=0, le=24 * 90)
    login_attempts_per_minute: int = Field(5, ge=1, le=1000)
    # The admin token comes from $MONITOR_WEB_TOKEN only.
    token: SecretStr | None = Field(None, exclude=True, repr=False)

    @field_validator("token", mode="before")
    @classmethod
    def _no_token_in_file(cls, value: Any) -> Any:
        return _from_environment_only(value, "the console token", WEB_TOKEN_ENV)


class LoggingConfig(_Strict):
    """Log level and format."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_format: bool = Field(False, alias="json")


class MonitorConfig(_Strict):
    """The whole validated configuration."""

    database: DatabaseConfig = DatabaseConfig()
    query: QueryConfig = QueryConfig()
    relevance: RelevanceConfig = RelevanceConfig()
    sources: list[SourceConfig] = []
    email: EmailConfig = EmailConfig()
    crawl: CrawlConfig = CrawlConfig()
    daemon: DaemonConfig = DaemonConfig()
    archive: ArchiveConfig = ArchiveConfig()
    worker: WorkerConfig = WorkerConfig()
    queue: QueueConfig = QueueConfig()
    web: WebConfig = WebConfig()
    logging: LoggingConfig = LoggingConfig()
    path: Path | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _unique_source_names(self) -> MonitorConfig:
        seen: set[str] = set()
        for index, source in enumerate(self.sources):
            if source.name in seen:
                raise ValueError(f"duplicate source name {source.name!r}")
            seen.add(source.name)
            source.check_public(self.crawl.public_networks, index)
        return self

    def source(self, name: str) -> SourceConfig:
        """The source called ``name``; ConfigError if there is none."""
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"no source named {name!r} in the config (known: {known})")


def _format_validation_error(exc: ValidationError, path: Path | str) -> str:
    error = exc.errors()[0]
    location = _location(error.get("loc", ()))
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if error.get("type") == "extra_forbidden":
        message = "unknown key"
    more = len(exc.errors()) - 1
    suffix = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
    return f"{path}: {location}: {message}{suffix}"


def _location(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        else:
            parts.append(str(item))
    return ".".join(parts) or "(top level)"


def config_from_dict(data: dict[str, Any], *, path: Path | str = "<config>") -> MonitorConfig:
    """Validate a parsed config mapping and apply the environment overrides."""
    data = dict(data)
    database_url = os.environ.get(DATABASE_URL_ENV)
    if database_url:
        data["database"] = {**data.get("database", {}), "url": database_url}
    password = os.environ.get(SMTP_PASSWORD_ENV)
    try:
        config = MonitorConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, path)) from None
    updates: dict[str, Any] = {"path": Path(path) if path != "<config>" else None}
    model = config.relevance.model
    if model is not None and not model.expanduser().is_absolute():
        base = Path(path).parent if path != "<config>" else Path()
        updates["relevance"] = config.relevance.model_copy(
            update={"model": (base / model.expanduser()).absolute()}
        )
    if password:
        updates["email"] = config.email.model_copy(update={"password": SecretStr(password)})
    web_token = os.environ.get(WEB_TOKEN_ENV, "").strip()
    if web_token:
        updates["web"] = config.web.model_copy(update={"token": SecretStr(web_token)})
    proxy_user = os.environ.get(PROXY_USER_ENV, "")
    proxy_password = os.environ.get(PROXY_PASSWORD_ENV, "")
    if proxy_password and not proxy_user:
        raise ConfigError(f"{path}: ${PROXY_PASSWORD_ENV} is set but ${PROXY_USER_ENV} is not")
    if proxy_user:
        updates["crawl"] = config.crawl.model_copy(
            update={
                "proxy_user": SecretStr(proxy_user),
                "proxy_password": SecretStr(proxy_password) if proxy_password else None,
            }
        )
    return config.model_copy(update=updates)


def resolve_config_path(explicit: str | Path | None = None) -> Path:
    """``--config`` wins, then ``$MONITOR_CONFIG``, then ``./monitor.toml``."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(CONFIG_ENV)
    return Path(from_env) if from_env else DEFAULT_CONFIG_PATH


def load_config(explicit: str | Path | None = None) -> MonitorConfig:
    """Load and validate the config file; raise ConfigError with one clear line."""
    path = resolve_config_path(explicit)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return config_from_dict(data, path=path)
