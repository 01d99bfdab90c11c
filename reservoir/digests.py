"""Digests: after a scheduled run, each profile's report summary, what is new and a link to the
full report go out by email (SMTP) and to a Slack-compatible webhook.

Delivery never fails a run: each channel is tried a bounded number of times with doubling
backoff, and every outcome is recorded (a ``delivery`` row and a run event). A channel that
already delivered a report is not used again for it when a run is resumed. The webhook goes
through the same SSRF guard as every fetch: a private or loopback address is refused unless
``RESERVOIR_FETCH_ALLOW`` lets it through.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from sqlmodel import Session, col, select

from reservoir.config import Settings
from reservoir.memory.db import session_scope
from reservoir.memory.models import (
    BusinessProfile,
    Delivery,
    Opportunity,
    Report,
    RoiEstimate,
    utcnow,
)
from reservoir.memory.reports import export_report
from reservoir.tools.ssrf import AllowList, PinnedTransport, UnsafeUrlError, system_resolver, vet_url

log = logging.getLogger(__name__)

TOP_ITEMS = 3
SLACK_TEXT_LIMIT = 2900  # Slack refuses a section text over 3,000 characters
SMTP_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
RETRY_HTTP = frozenset({408, 425, 429, 500, 502, 503, 504})

Emit = Callable[[str, str, dict[str, Any]], None]


class DeliveryError(Exception):
    """A channel refused or failed; ``permanent`` ones are not retried (bad address, 4xx)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


@dataclass
class Digest:
    """What a profile is told after a run: facts from its stored report only."""

    report_id: int
    profile_id: int
    profile: str
    summary: str
    news: list[str]
    top: list[str]
    link: str
    subject: str = field(init=False)

    def __post_init__(self) -> None:
        self.subject = " ".join(f"Reservoir digest for {self.profile}".split())  # one line

    def text(self) -> str:
        """The plain-text body (the email, and the webhook's fallback text)."""
        news = [f"- {line}" for line in self.news] or ["- nothing new since the last report"]
        top = [f"{i}. {line}" for i, line in enumerate(self.top, 1)]
        return "\n".join([self.summary, "", "What is new:", *news, "",
                          *(["Top opportunities:", *top, ""] if top else []),
                          f"Full report: {self.link}", ""])

    def slack_payload(self) -> dict[str, Any]:
        """``{"text", "blocks"}`` as Slack incoming webhooks (and look-alikes) take it."""
        news = "\n".join(f"• {_mrkdwn(line)}" for line in self.news) or "• nothing new"
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": self.subject[:150]}},
            _section(_mrkdwn(self.summary)),
            _section(f"*What is new*\n{news}"),
        ]
        if self.top:
            blocks.append(_section("*Top opportunities*\n" + "\n".join(
                f"{i}. {_mrkdwn(line)}" for i, line in enumerate(self.top, 1))))
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"<{self.link}|Full report>"}]})
        return {"text": f"{self.subject}: {self.summary}\n{self.link}", "blocks": blocks}


def _mrkdwn(text: str) -> str:
    """Slack's three control characters, escaped: source titles must not become links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict[str, Any]:
    clipped = text if len(text) <= SLACK_TEXT_LIMIT else text[:SLACK_TEXT_LIMIT - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": clipped}}


# ----------------------------------------------------------------------------- composing


def report_link(settings: Settings, session: Session, report: Report) -> str:
    """The dashboard page of the report, or the exported HTML file without a public url."""
    if settings.public_url:
        return f"{settings.public_url}/reports/{report.id}"
    return export_report(settings, session, report).as_uri()


def _top(session: Session, report: Report) -> list[str]:
    out = []
    for opp_id in report.opportunity_ids[:TOP_ITEMS]:
        opp = session.get(Opportunity, opp_id)
        roi = session.exec(select(RoiEstimate).where(
            RoiEstimate.opportunity_id == opp_id,
            RoiEstimate.profile_id == report.profile_id)).first()
        if opp is not None:
            figure = f" — about ${roi.monthly_net_value:,.0f}/month net" if roi else ""
            out.append(f"{opp.title}{figure}")
    return out


def compose(settings: Settings, session: Session, report: Report) -> Digest:
    """The digest of one stored report: its summary, its "what changed" lines, its top items."""
    profile = session.get(BusinessProfile, report.profile_id)
    stats = report.stats or {}
    news = list(stats.get("changes") or [])
    if not news and stats.get("first_report"):
        news = ["first report for this profile: every opportunity in it is new"]
    broken = stats.get("broken_sources") or []
    if broken:
        news.append(f"broken source(s): {', '.join(broken)}")
    return Digest(report_id=report.id or 0, profile_id=report.profile_id,
                  profile=profile.name if profile else str(report.profile_id),
                  summary=str(stats.get("summary") or ""), news=news, top=_top(session, report),
                  link=report_link(settings, session, report))


# ----------------------------------------------------------------------------- channels


def _smtp_target(url: str) -> tuple[str, str, int, str | None, str | None]:
    parts = urlsplit(url)
    port = parts.port or SMTP_PORTS[parts.scheme]
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return parts.scheme, parts.hostname or "", port, user, password


def send_email(settings: Settings, digest: Digest) -> None:
    """One message to every RESERVOIR_DIGEST_TO address (blocking: run it in a thread)."""
    assert settings.digest_smtp_url is not None
    scheme, host, port, user, password = _smtp_target(settings.digest_smtp_url.get_secret_value())
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = settings.digest_from or ""
    message["To"] = ", ".join(settings.digest_to)
    message.set_content(digest.text())
    timeout = settings.digest_timeout
    try:
        if scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                                    context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if user:
                client.login(user, password or "")
            client.send_message(message)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
            smtplib.SMTPAuthenticationError) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}", permanent=True) from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
                            permanent=500 <= exc.smtp_code < 600) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from None


async def post_webhook(settings: Settings, digest: Digest) -> None:
    """POST the Slack-compatible payload, pinned to the address the SSRF guard vetted."""
    assert settings.digest_webhook_url is not None
    url = settings.digest_webhook_url.get_secret_value()
    try:
        target = await vet_url(url, AllowList.from_entries(settings.fetch_allow), system_resolver)
    except UnsafeUrlError as exc:
        raise DeliveryError(f"refused by the SSRF guard: {exc.reason}", permanent=True) from None
    except Exception as exc:  # noqa: BLE001 — a resolver failure may pass
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
    transport = PinnedTransport({target.host_key: target.ip})
    try:
        async with httpx.AsyncClient(transport=transport, timeout=settings.digest_timeout,
                                     follow_redirects=False, trust_env=False) as client:
            response = await client.post(str(target.url), json=digest.slack_payload())
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
    if response.is_success:
        return
    raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}",
                        permanent=response.status_code not in RETRY_HTTP)


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


async def _attempts(settings: Settings, send: Callable[[], Awaitable[None]]
                    ) -> tuple[int, str | None]:
    """Try, then retry with doubling backoff; (attempts made, last error or None)."""
    error: str | None = None
    for attempt in range(1, settings.digest_retries + 2):
        try:
            await send()
            return attempt, None
        except DeliveryError as exc:
            error = str(exc)
            if exc.permanent or attempt > settings.digest_retries:
                return attempt, error
            await asyncio.sleep(settings.digest_backoff * 2 ** (attempt - 1))
    return settings.digest_retries + 1, error


# ----------------------------------------------------------------------------- the run's digests


def channels(settings: Settings) -> dict[str, tuple[str, Callable[[Digest], Awaitable[None]]]]:
    """The configured channels: name -> (what the record shows as target, sender)."""
    out: dict[str, tuple[str, Callable[[Digest], Awaitable[None]]]] = {}
    if settings.digest_smtp_url:
        out["email"] = (", ".join(settings.digest_to),
                        lambda d: asyncio.to_thread(send_email, settings, d))
    if settings.digest_webhook_url:
        out["webhook"] = (_host(settings.digest_webhook_url.get_secret_value()),
                          lambda d: post_webhook(settings, d))
    return out


def _pending(settings: Settings, run_id: str, names: list[str]) -> list[tuple[Digest, list[str]]]:
    """This run's published reports and the channels that have not delivered each yet."""
    out = []
    with session_scope(settings) as session:
        reports = session.exec(select(Report).where(
            Report.run_id == run_id, Report.status == "published").order_by(col(Report.id))).all()
        for report in reports:
            done = set(session.exec(select(Delivery.channel).where(
                Delivery.report_id == report.id, Delivery.status == "sent")).all())
            todo = [n for n in names if n not in done]
            if todo:
                out.append((compose(settings, session, report), todo))
    return out


def _record(settings: Settings, run_id: str, digest: Digest, channel: str, target: str,
            attempts: int, error: str | None) -> None:
    with session_scope(settings, write=True) as session:
        row = session.exec(select(Delivery).where(Delivery.report_id == digest.report_id,
                                                  Delivery.channel == channel)).first()
        row = row or Delivery(report_id=digest.report_id, channel=channel, status="failed")
        row.run_id, row.profile_id, row.target = run_id, digest.profile_id, target[:500]
        row.status, row.error = ("failed", error[:2000]) if error else ("sent", None)
        row.attempts += attempts
        row.sent_at = None if error else utcnow()
        session.add(row)


async def deliver_digests(settings: Settings, run_id: str, emit: Emit | None = None
                          ) -> dict[str, int]:
    """Send every published report of the run through every configured channel; never raises
    for a channel's failure (it is recorded). Returns ``digests_sent`` / ``digests_failed``."""
    configured = channels(settings)
    counts = {"digests_sent": 0, "digests_failed": 0}
    if not configured:
        return counts
    for digest, todo in _pending(settings, run_id, list(configured)):
        for channel in todo:
            target, send = configured[channel]
            attempts, error = await _attempts(settings, lambda s=send, d=digest: s(d))
            _record(settings, run_id, digest, channel, target, attempts, error)
            counts["digests_failed" if error else "digests_sent"] += 1
            payload = {"channel": channel, "profile": digest.profile, "report_id": digest.report_id,
                       "attempts": attempts, **({"error": error} if error else {})}
            if error:
                log.warning("digest for %s via %s failed after %d attempt(s): %s",
                            digest.profile, channel, attempts, error)
            if emit is not None:
                emit("digest", "digest_failed" if error else "digest_sent", payload)
    return counts
