"""A small folder corpus, its registration, and a snapshot of what a run leaves behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import select

from reservoir.config import Settings
from reservoir.memory.db import session_scope
from reservoir.memory.models import Document, Evidence, Opportunity
from reservoir.memory.profiles import upsert_profile
from reservoir.memory.sources import add_source

_CASES = [
    ("dental clinic", "appointment reminders", "Twilio", "Google Calendar", 6, 20),
    ("law firm", "client intake forms", "Typeform", "Clio", 5, 35),
    ("bakery", "supplier invoice processing", "Dext", "Xero", 4, 25),
    ("real estate agency", "lead follow-up emails", "HubSpot", "Gmail", 8, 50),
    ("accounting practice", "monthly client reports", "QuickBooks", "Looker Studio", 7, 15),
    ("gym", "membership win-back emails", "Mailchimp", "Stripe", 3, 30),
    ("plumbing company", "job scheduling and dispatch", "Jobber", "Twilio", 9, 60),
    ("marketing agency", "social media posting", "Buffer", "Canva", 5, 18),
    ("veterinary clinic", "review requests after visits", "Podium", "Zapier", 2, 40),
    ("architecture studio", "proposal documents", "PandaDoc", "HubSpot", 6, 45),
    ("restaurant", "inventory reorders", "MarketMan", "Square", 4, 22),
    ("property manager", "maintenance request triage", "Zapier", "Slack", 5, 28),
]


def write_corpus(folder: Path, count: int) -> Path:
    """``count`` short Markdown case studies, each an automation with tools and numbers."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        business, task, tool_a, tool_b, hours, cost = _CASES[i % len(_CASES)]
        edition = i // len(_CASES)
        (folder / f"case-{i:02d}.md").write_text(
            f"# How a {business} automated {task} (edition {edition})\n\n"
            f"Our {business} automated {task} with {tool_a} and {tool_b}. "
            f"Every new request now triggers the workflow automatically, so nobody copies data by hand. "
            f"It saves about {hours} hours a week and {tool_a} costs ${cost} per month. "
            f"Setup took {hours + 2} hours with a no-code integration.\n", encoding="utf-8")
    return folder


def register(settings: Settings, corpus: Path) -> None:
    with session_scope(settings) as session:
        add_source(session, "notes", "folder", str(corpus), replace=True)
        upsert_profile(session, {"name": "Acme Dental", "industry": "healthcare", "team_size": 6,
                                 "hourly_rate": 45.0, "current_tools": ["Google Calendar"]})


def snapshot(settings: Settings) -> dict[str, Any]:
    """Documents, opportunities and evidence without ids or clocks: equal = same results."""
    with session_scope(settings) as session:
        docs = {d.id: d for d in session.exec(select(Document)).all()}
        opps = session.exec(select(Opportunity)).all()
        by_opp: dict[int, list[tuple[str, str, str]]] = {}
        for e in session.exec(select(Evidence)).all():
            by_opp.setdefault(e.opportunity_id, []).append((docs[e.document_id].url, e.kind, e.quote))
        return {
            "documents": sorted((d.url, d.content_hash, d.analysed_at is not None) for d in docs.values()),
            "opportunities": sorted(
                (o.key, o.title, o.automation_type, tuple(sorted(o.tools)), o.mentions,
                 tuple(sorted(by_opp.get(o.id, [])))) for o in opps),
            "evidence": sum(len(v) for v in by_opp.values()),
        }


class FakeEmbeddings:
    """An OpenAI-compatible ``/v1/embeddings`` on loopback: hashed bag-of-words vectors.

    Deterministic and instant, so worker processes skip loading torch and the local model —
    seconds per process that say nothing about the queue layer. Similar texts stay similar.
    """

    DIM = 256

    def __init__(self) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        embed = self.embed

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 — http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                data = [{"object": "embedding", "index": i, "embedding": embed(t)}
                        for i, t in enumerate(texts)]
                out = json.dumps({"object": "list", "data": data, "model": body.get("model"),
                                  "usage": {"prompt_tokens": 0, "total_tokens": 0}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @classmethod
    def embed(cls, text: str) -> list[float]:
        import hashlib
        import math
        import re

        vector = [0.0] * cls.DIM
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
            vector[int.from_bytes(digest, "big") % cls.DIM] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def env(self) -> dict[str, str]:
        return {"RESERVOIR_EMBEDDING_PROVIDER": "openai", "RESERVOIR_EMBEDDING_MODEL": "fake-embed",
                "RESERVOIR_LLM_BASE_URL": self.base_url, "RESERVOIR_LLM_API_KEY": "test"}

    def __enter__(self) -> FakeEmbeddings:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
