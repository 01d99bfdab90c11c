"""Automation types by meaning: MiniLM similarity to a few general descriptions per type.

Keyword lists only know the words someone wrote down; a passage that says "parents choose
lesson times from the open hours I publish" names no scheduling keyword but means
scheduling. Each type is described by a handful of general sentences (true of any business,
taken from no document); a passage's similarity to a type is its best cosine to them. The
extractive strategy combines these similarities with its keyword scores (see
``extractive.passages.classify_passages``); the weights and the threshold under which a
passage's type is ``other`` are calibrated by ``bench/calibrate_types.py`` on the demo and
hand-written splits. The prototypes of watching, notifying, file handling and app-to-app
plumbing follow the type definitions of ``evals/LABELLING.md`` and were checked on real-dev.

The bundled all-MiniLM-L6-v2 is loaded once per process, offline. When it cannot be loaded,
or ``RESERVOIR_TYPE_EMBEDDINGS=0``, every call returns None and classification falls back
to keywords alone.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

# Written for this module: what each type means for any small business. No corpus sentence.
PROTOTYPES: dict[str, tuple[str, ...]] = {
    "scheduling": (
        "Customers book, move or cancel appointments online and the calendar updates itself.",
        "Automatic reminders before each appointment, class or reservation reduce missed "
        "bookings.",
        "Clients choose an available time on a booking page instead of calling to arrange a "
        "visit.",
        "Meetings, interviews and consultations are scheduled from shared availability without "
        "emails back and forth.",
    ),
    "follow_up": (
        "When a customer does not reply, a follow-up message is sent automatically a few days "
        "later.",
        "Unpaid invoices and overdue payments are chased with a series of reminder emails.",
        "After a visit or a purchase, customers get a check-in message and are invited back.",
        "Quotes, proposals and trials that went quiet get a timed nudge until the customer "
        "answers.",
        "Customers who have not come back for months receive a win-back offer.",
    ),
    "lead_generation": (
        "New prospects are found, enriched with contact details and added to the CRM for the "
        "sales team.",
        "Website enquiries are captured, scored and qualified, and the best leads are assigned "
        "to a salesperson.",
        "Lists of potential customers are built from directories or public registers for "
        "outbound outreach.",
    ),
    "client_communication": (
        "A notification or chat message is sent to a person's phone, inbox or messaging app.",
        "Customers get instant answers to common questions from a chatbot or an automatic "
        "reply.",
        "Clients receive status updates by text or email as their order, job or case "
        "progresses.",
        "Incoming messages and support tickets get drafted replies that staff review before "
        "sending.",
        "Missed calls and enquiries outside opening hours get an immediate response.",
    ),
    "document_automation": (
        "Files are uploaded, downloaded, converted between formats or kept in cloud storage.",
        "Text is translated, parsed or turned into a structured document or spreadsheet.",
        "Invoices, receipts and forms are read automatically and their data is entered into "
        "the accounting system.",
        "Contracts and proposals are generated from a template with the client's details and "
        "sent for e-signature.",
        "Scanned paperwork and PDFs are turned into text and the key fields are extracted "
        "without retyping.",
        "Information from intake forms fills in the client file so nobody copies it by hand.",
    ),
    "reporting": (
        "A website, feed or search is checked regularly and the new or changed items are "
        "collected and reported.",
        "An alert is raised when a watched value crosses a limit or an expected event does not "
        "happen.",
        "Status, tracking, weather or price information is fetched on a schedule and "
        "summarised in a digest.",
        "Figures from several systems are combined into a dashboard that updates itself.",
        "A weekly or monthly report with the key numbers and charts is produced and emailed "
        "automatically.",
        "Sales, hours and costs are pulled together every night so managers see performance "
        "at a glance.",
    ),
    "marketing": (
        "Social media posts are scheduled and published automatically on several channels.",
        "Email campaigns and newsletters are sent to segmented lists of subscribers.",
        "Happy customers are asked automatically to leave an online review.",
        "Shoppers who abandon a cart receive an email with the items they left behind.",
        "Promotions and content are created and distributed to attract new customers.",
    ),
    "workflow_optimization": (
        "Data from one app is transformed, filtered and passed on to the next step of an "
        "automated flow.",
        "An event received through an API or a webhook triggers actions in other systems.",
        "When an order or a request arrives, tasks are created and assigned to the right team "
        "automatically.",
        "New employees or clients are onboarded with accounts, folders and checklists created "
        "automatically.",
        "Inventory, orders and shipping stay in sync so the warehouse works from one current "
        "list.",
        "Jobs are dispatched to technicians or crews and their status is tracked on a shared "
        "board.",
    ),
}
TYPE_ORDER = tuple(PROTOTYPES)

_LOCK = threading.Lock()
_STATE: dict[str, object] = {}


def enabled() -> bool:
    return os.environ.get("RESERVOIR_TYPE_EMBEDDINGS", "1").strip().lower() not in (
        "0", "false", "no", "off")


def _model() -> object | None:
    """The shared local embedder and the prototype matrix, or None when unavailable."""
    with _LOCK:
        if "embedder" not in _STATE:
            try:
                from reservoir.memory.embeddings import BUNDLED_MODEL, LocalEmbedder

                embedder = LocalEmbedder(BUNDLED_MODEL)
                texts = [t for kind in TYPE_ORDER for t in PROTOTYPES[kind]]
                _STATE["matrix"] = embedder.encode(texts)
                _STATE["embedder"] = embedder
            except Exception as exc:  # noqa: BLE001 — no model means keywords only, never a crash
                log.warning("type embeddings unavailable, keywords only: %s", exc)
                _STATE["embedder"] = None
        return _STATE["embedder"]


def _rows(texts: list[str]) -> list[tuple[float, ...]]:
    embedder = _model()
    return _rows_of(embedder.encode(texts))  # type: ignore[attr-defined]


def _rows_of(vectors: np.ndarray) -> list[tuple[float, ...]]:
    """Each vector's best cosine to each type's prototypes, in TYPE_ORDER."""
    sims = vectors @ _STATE["matrix"].T  # type: ignore[attr-defined]
    out = []
    for row in sims:
        best, i = [], 0
        for kind in TYPE_ORDER:
            n = len(PROTOTYPES[kind])
            best.append(float(row[i:i + n].max()))
            i += n
        out.append(tuple(best))
    return out


def type_similarities(texts: list[str]) -> list[dict[str, float]] | None:
    """Per text, each type's best cosine to its prototypes; None without a model.

    Texts are embedded in one batch (those not seen before); results are cached per text,
    so re-analysing a document costs nothing.
    """
    if not texts or not enabled() or _model() is None:
        return None
    missing = list(dict.fromkeys(t for t in texts if _cached(t) is None))
    if missing:
        for text, row in zip(missing, _rows(missing), strict=True):
            _CACHE[text] = row
    return [dict(zip(TYPE_ORDER, _CACHE[t], strict=True)) for t in texts]


def remember_vectors(texts: list[str], vectors: np.ndarray) -> None:
    """Cache the type similarities of texts another caller has just embedded with the same
    bundled model (`agents.fit` embeds a scoring pass in one batch), so that
    `type_similarities` does not embed them a second time."""
    if not texts or not enabled() or _model() is None:
        return
    for text, row in zip(texts, _rows_of(vectors), strict=True):
        if _cached(text) is None:
            _CACHE[text] = row


_CACHE: dict[str, tuple[float, ...]] = {}
_CACHE_MAX = 20_000


def _cached(text: str) -> tuple[float, ...] | None:
    if len(_CACHE) > _CACHE_MAX:
        _CACHE.clear()
    return _CACHE.get(text)
