"""The config file: one validated model, one clear line per mistake, secrets only from env."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import load_config
from monitor.errors import ConfigError

ISSUE_EXAMPLE = """
[database]
url = "sqlite:///data/monitor.db"
[query]
match = '(russia OR russian OR moscow OR kremlin OR putin) AND QUERY_TAIL'
[[sources]]
name = "havana-times"
feeds = ["https://havanatimes.org/feed/"]
sitemaps = []
pages = []
schedule = "every 30 minutes"
[email]
smtp_host = "localhost"
smtp_port = 25
sender = "monitor@example.org"
recipients = ["analyst@example.org"]
digest_schedule = "0 7 * * *"
""".replace("QUERY_TAIL", '(cuba OR cuban OR havana OR "díaz-canel")')


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_issue_example_loads(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, ISSUE_EXAMPLE))
    assert config.sources[0].name == "havana-times"
    assert config.sources[0].parsed_schedule.interval is not None
    assert config.email.recipients[0].address == "analyst@example.org"
    assert config.email.recipients[0].frequency == "daily"


def test_shipped_default_config_loads() -> None:
    config = load_config(Path(__file__).resolve().parents[1] / "monitor.toml")
    assert {s.type for s in config.sources} >= {"site", "google_news", "bing_news", "gdelt"}
    assert config.query.match  # empty in the file -> the built-in default query


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[database]\nurll = 'x'\n", r"database\.urll: unknown key"),
        ("[email]\nsmtp_port = 'twenty'\n", r"email\.smtp_port: .*integer"),
        (
            "[[sources]]\nname='a'\nfeeds=['https://a.example/feed']\nschedule='every blue moon'\n",
            r"sources\[0\]\.schedule: .*cron",
        ),
        (
            "[[sources]]\nname='a'\nfeeds=['https://a.example/feed']\nschedule='61 * * * *'\n",
            r"sources\[0\]\.schedule: invalid cron",
        ),
        ("[query]\nmatch = 'cuba AND (russia'\n", r"query\.match: invalid query: .*column"),
        ("[[sources]]\nname='a'\nfeeds=['file:///etc/passwd']\n", r"sources\[0\]\.feeds: .*http"),
        (
            "[[sources]]\nname='a'\nfeeds=['http://169.254.169.254/feed']\n",
            r"sources\[0\]: .*allow_private",
        ),
        ("[[sources]]\nname='a'\n", r"at least one of site, feeds"),
        ("[email]\npassword = 'hunter2'\n", r"email\.password: .*MONITOR_SMTP_PASSWORD"),
        (
            "[[sources]]\nname='a'\nsite='https://a.example/'\n[[sources]]\nname='a'\n"
            "site='https://b.example/'\n",
            "duplicate source name",
        ),
        ("this is = = not toml", "invalid TOML"),
    ],
)
def test_bad_config_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(_write(tmp_path, text))
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_resolution_order_and_env_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, ISSUE_EXAMPLE)
    monkeypatch.chdir(tmp_path)
    assert load_config().path == Path("monitor.toml")
    other = tmp_path / "other.toml"
    other.write_text("[database]\nurl = 'sqlite:///other.db'\n")
    monkeypatch.setenv("MONITOR_CONFIG", str(other))
    assert load_config().database.url == "sqlite:///other.db"
    assert load_config(path).database.url == "sqlite:///data/monitor.db"
    monkeypatch.setenv("MONITOR_DATABASE_URL", "postgresql://db.example/monitor")
    monkeypatch.setenv("MONITOR_SMTP_PASSWORD", "s3cret-planted")
    config = load_config(path)
    assert config.database.url == "postgresql://db.example/monitor"
    assert config.email.password is not None
    assert config.email.password.get_secret_value() == "s3cret-planted"
    assert "s3cret-planted" not in repr(config)
    assert "s3cret-planted" not in config.model_dump_json()
