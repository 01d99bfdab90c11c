"""`reservoir serve` (API + dashboard) and `reservoir apikey` (create, list, revoke keys)."""

from __future__ import annotations

import ipaddress

import typer

from reservoir.cli.common import (
    JsonOpt,
    console,
    err_console,
    fail,
    print_json,
    print_table,
    session,
    settings,
)

apikey_app = typer.Typer(help="Manage API keys for the HTTP API and the dashboard.", no_args_is_help=True)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (loopback by default)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
) -> None:
    """Serve the HTTP API (/api/v1, /v1), health, metrics and the dashboard (/)."""
    import uvicorn

    from reservoir.api.app import create_app

    cfg = settings()
    if not _is_loopback(host):
        err_console.print(f"[yellow]warning:[/] listening on {host}: every API call needs a key, but "
                          "use TLS (a reverse proxy) before exposing the server beyond this machine")
    app = create_app(cfg)
    console.print(f"dashboard and API on http://{host}:{port}/ (docs: /api/v1/docs); "
                  "create a key with: reservoir apikey create NAME")
    # Open SSE streams would hold a graceful shutdown forever: give them 10 s.
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=False,
                timeout_graceful_shutdown=10)


@apikey_app.command("create")
def apikey_create(name: str = typer.Argument(..., help="A unique name, e.g. the person or client."),
                  as_json: bool = JsonOpt) -> None:
    """Create a key; the key itself is printed once and never stored."""
    from reservoir.api.auth import ApiKeyError, create_api_key

    with session() as db:
        try:
            _row, plaintext = create_api_key(db, name)
        except ApiKeyError as exc:
            fail(str(exc))
    if as_json:
        print_json({"name": name.strip(), "key": plaintext})
        return
    typer.echo(plaintext)
    err_console.print("[yellow]This key is shown once; store it now.[/] "
                      "Send it as 'Authorization: Bearer <key>'.")


@apikey_app.command("list")
def apikey_list(as_json: bool = JsonOpt) -> None:
    """List keys (name, prefix, created, last used, revoked); never the keys themselves."""
    from reservoir.api.auth import list_api_keys
    from reservoir.memory.public import ApiKeyPublic, public_json

    with session() as db:
        items = [public_json(ApiKeyPublic, row) for row in list_api_keys(db)]
    if as_json:
        print_json({"items": items, "total": len(items)})
        return
    print_table("API keys", ["name", "prefix", "created", "last used", "revoked"],
                [[k["name"], k["prefix"] + "…", k["created_at"], k["last_used_at"] or "-",
                  k["revoked_at"] or "-"] for k in items])


@apikey_app.command("revoke")
def apikey_revoke(name: str = typer.Argument(..., help="The key's name.")) -> None:
    """Revoke a key: requests with it are refused from now on."""
    from reservoir.api.auth import ApiKeyError, revoke_api_key

    with session() as db:
        try:
            revoke_api_key(db, name)
        except ApiKeyError as exc:
            fail(str(exc))
    typer.echo(f"revoked API key {name}")
