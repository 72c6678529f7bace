"""``monitor web``: serve the console; ``monitor web token create|list|revoke``: its keys."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from monitor.errors import ConfigError

web_app = typer.Typer(
    help="The web console: `monitor web [--host 127.0.0.1] [--port 8080]`, and its tokens.",
    invoke_without_command=True,
)
token_app = typer.Typer(help="Console API keys and feed tokens.", no_args_is_help=True)
web_app.add_typer(token_app, name="token")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


@web_app.callback(invoke_without_command=True)
def web(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to bind (non-loopback needs authentication).")
    ] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free one).")] = (
        DEFAULT_PORT
    ),
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="Another Host name the console answers to (a reverse proxy's; repeatable).",
        ),
    ] = None,
) -> None:
    """Serve the web console (stories, sources, crawl now, feedback, feeds, REST API)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from monitor.cli.main import _state, console
    from monitor.daemon.logging import install_config_redaction, install_redaction, setup_logging
    from monitor.web.app import create_app
    from monitor.web.auth import auth_configured_for
    from monitor.web.security import is_loopback

    state = _state(ctx)
    config = state.config
    install_config_redaction(config)
    if config.web.token is not None:
        install_redaction(config.web.token.get_secret_value())
    db = state.database(writable=True)
    if not is_loopback(host) and not auth_configured_for(config, db):
        raise ConfigError(
            f"refusing to serve on {host} without authentication: set $MONITOR_WEB_TOKEN or "
            "create a key with `monitor web token create --role admin`"
        )
    state.check_relevance()  # the query lab judges with the configured model
    setup_logging(config.logging.level, config.logging.json_format)  # after the checks
    app = create_app(config, db, host=host, port=port, allowed_hosts_extra=allowed_host or [])
    shown = f"[{host}]" if ":" in host else host
    console.print(f"console: http://{shown}:{port}/ (Ctrl-C stops it)", markup=False)
    uvicorn.run(
        app,
        host=host,
        port=port,
        access_log=False,  # the app logs paths without query strings (feed tokens)
        server_header=False,
        log_config=None,  # uvicorn's records go through our (redacting) handler
    )


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    role: Annotated[
        str | None, typer.Option(help="viewer (read), analyst (feedback), admin (crawl, edit).")
    ] = None,
    feed: Annotated[bool, typer.Option("--feed", help="A feed token (Atom feeds only).")] = False,
    label: Annotated[str, typer.Option(help="Who or what the token is for.")] = "",
) -> None:
    """Make an API key (--role) or a feed token (--feed); the token is printed once."""
    from monitor.cli.main import _state, console
    from monitor.errors import InvalidInput
    from monitor.web.service import create_token

    if feed == (role is not None):
        raise typer.BadParameter("give either --role viewer|analyst|admin or --feed")
    db = _state(ctx).database(writable=True)
    try:
        view, token = create_token(db, "feed" if feed else str(role).strip().lower(), label)
    except InvalidInput as exc:
        raise typer.BadParameter(str(exc), param_hint="--role") from None
    what = "feed token" if feed else f"{view.role} API key"
    console.print(f"created {what} {view.id} ({view.prefix}…); it is shown only now:")
    console.print(token, markup=False)


@token_app.command("list")
def token_list(ctx: typer.Context) -> None:
    """List the console's keys (never the tokens)."""
    from monitor.cli.main import _state, console
    from monitor.web.service import list_tokens

    db = _state(ctx).database()
    table = Table(title="console keys")
    for column in ("id", "kind", "role", "label", "prefix", "created", "revoked"):
        table.add_column(column)
    for key in list_tokens(db):
        table.add_row(
            str(key.id),
            key.kind,
            key.role or "—",
            key.label,
            key.prefix + "…",
            key.created_at.strftime("%Y-%m-%d %H:%M"),
            key.revoked_at.strftime("%Y-%m-%d %H:%M") if key.revoked_at else "—",
        )
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context, key_id: Annotated[int, typer.Argument(help="The key's id (see list).")]
) -> None:
    """Revoke a key or feed token (and end its login sessions)."""
    from monitor.cli.main import _state, console
    from monitor.web.service import revoke_token

    db = _state(ctx).database(writable=True)
    view = revoke_token(db, key_id)
    console.print(f"revoked {view.kind} key {view.id} ({view.prefix}…)")
