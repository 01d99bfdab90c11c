"""The `reservoir` command: groups live in their own modules, each thin."""

from __future__ import annotations

import typer

from reservoir.cli import (
    ask,
    demo,
    digests,
    documents,
    evals,
    opportunities,
    profiles,
    runs,
    search,
    serve,
    sources,
    tools,
    track,
)
from reservoir.cli import worker as worker_cli
from reservoir.cli.common import console, print_json, settings
from reservoir.config import disable_telemetry

disable_telemetry()

app = typer.Typer(
    name="reservoir", no_args_is_help=True, pretty_exceptions_enable=False,
    help="Discover, analyse and ROI-score automation opportunities; ask what the reservoir holds.",
)
app.add_typer(sources.app, name="sources")
app.add_typer(opportunities.app, name="opportunities")
app.add_typer(documents.app, name="documents")
app.add_typer(profiles.app, name="profiles")
app.add_typer(runs.app, name="runs")
app.add_typer(evals.app, name="eval")
app.add_typer(tools.app, name="tools")
app.add_typer(track.app, name="track")
app.add_typer(digests.app, name="digests")
app.command("discover")(runs.discover)
app.command("demo")(demo.demo)
app.command("report")(demo.report)
app.command("search")(search.search)
app.command("ask")(ask.ask)
app.command("serve")(serve.serve)
app.add_typer(serve.apikey_app, name="apikey")
app.command("worker")(worker_cli.worker)
app.command("scheduler")(worker_cli.scheduler)
app.command("schedule")(worker_cli.schedule)


@app.command()
def init() -> None:
    """Create the data directory and the database schema."""
    from reservoir.memory.db import get_engine

    cfg = settings()
    get_engine(cfg)
    console.print(f"initialised {cfg.data_dir.resolve()} (database: {cfg.sqlalchemy_url.split('@')[-1]})")


@app.command()
def doctor(as_json: bool = typer.Option(False, "--json")) -> None:
    """Print the configuration, which backends are live, and why a configured one is not."""
    from reservoir.doctor import diagnose

    report = diagnose(settings())
    if as_json:
        print_json(report)
        return
    for section, checks in report.items():
        console.print(f"[bold]{section}[/]")
        for name, value in checks.items():
            console.print(f"  {name}: {value}", highlight=False)


@app.command("demo-server")
def demo_server(host: str = typer.Option("127.0.0.1", "--host"),
                port: int = typer.Option(8765, "--port")) -> None:
    """Serve the offline demo corpus (feeds, HN/Reddit JSON, pages) over HTTP."""
    from reservoir.demo.server import serve_forever

    serve_forever(host=host, port=port)


if __name__ == "__main__":
    app()
