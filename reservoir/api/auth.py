"""API keys: the plaintext is shown once; only its SHA-256 hash and a short prefix are stored.

A key is ``rsv_`` + 43 url-safe characters (256 random bits), so a plain hash is enough:
there is nothing to brute-force, and a lookup by hash is one indexed query per request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlmodel import Session, select

from reservoir.memory.models import ApiKey, as_utc, utcnow

KEY_PREFIX = "rsv_"
PREFIX_CHARS = 12
# Writing last_used_at on every request would make every read a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(seconds=60)


class ApiKeyError(ValueError):
    """A key cannot be created or revoked as asked."""


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_key(session: Session, name: str) -> tuple[ApiKey, str]:
    """Store a new key under a unique name; returns the row and the plaintext (shown once)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ApiKeyError("a key name must be 1 to 100 characters")
    if session.exec(select(ApiKey).where(ApiKey.name == name)).first() is not None:
        raise ApiKeyError(f"an API key named {name!r} already exists")
    plaintext = generate_key()
    row = ApiKey(name=name, prefix=plaintext[:PREFIX_CHARS], key_hash=hash_key(plaintext))
    session.add(row)
    session.flush()
    return row, plaintext


def verify_api_key(session: Session, presented: str) -> ApiKey | None:
    """The active key matching ``presented``, or None (read-only: see ``touch_due``)."""
    if not presented.startswith(KEY_PREFIX) or len(presented) > 200:
        return None
    digest = hash_key(presented)
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == digest)).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, digest):
        return None
    return row


def touch_due(row: ApiKey) -> bool:
    """Whether last_used_at is stale enough to be written again."""
    last = as_utc(row.last_used_at)
    return last is None or utcnow() - last > LAST_USED_RESOLUTION


def touch_api_key(session: Session, key_id: int) -> None:
    """Record use in its own short transaction, so a read request never holds a write lock."""
    row = session.get(ApiKey, key_id)
    if row is not None:
        row.last_used_at = utcnow()
        session.add(row)


def revoke_api_key(session: Session, name: str) -> ApiKey:
    row = session.exec(select(ApiKey).where(ApiKey.name == name)).first()
    if row is None:
        raise ApiKeyError(f"no API key named {name!r}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
    return row


def list_api_keys(session: Session) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)).all())

