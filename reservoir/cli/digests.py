"""`reservoir digests`: what each digest channel did after the scheduled runs.

A channel that keeps failing (a refused address, a webhook that answers 500) never fails a
run, so this list, like ``GET /api/v1/deliveries``, is where it shows.
"""

from __future__ import annotations

import typer

from reservoir.cli.common import (
    JsonOpt,
    LimitOpt,
    OffsetOpt,
    fail,
    print_page,
    print_table,
    session,
)
from reservoir.memory.deliveries import list_deliveries
from reservoir.memory.models import DELIVERY_STATUSES
from reservoir.memory.public import DeliveryPublic, public_json

app = typer.Typer(help="Digest deliveries (email, webhook) after scheduled runs.",
                  no_args_is_help=True)


@app.command("list")
def list_(status: str = typer.Option(None, "--status", help="sent or failed."),
          as_json: bool = JsonOpt, limit: int = LimitOpt, offset: int = OffsetOpt) -> None:
    """List the latest deliveries: report, channel, status, attempts, first error line, time."""
    if status is not None and status not in DELIVERY_STATUSES:
        fail(f"--status: choose one of {', '.join(DELIVERY_STATUSES)}")
    with session() as db:
        page = list_deliveries(db, status=status, limit=limit, offset=offset)
        items = [public_json(DeliveryPublic, d) for d in page.items]
    if as_json:
        print_page(items, page.total)
        return
    print_table("Deliveries", ["report", "channel", "target", "status", "attempts", "error",
                               "time"],
                [[d["report_id"], d["channel"], d["target"], d["status"], d["attempts"],
                  d["error"], d["sent_at"] or d["created_at"]] for d in items], page.total)
