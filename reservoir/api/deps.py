"""FastAPI dependencies as Annotated aliases, so routes declare what they need in one word."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from reservoir.api.auth import touch_api_key, touch_due, verify_api_key
from reservoir.api.errors import ApiError
from reservoir.config import Settings
from reservoir.launcher import RunLauncher
from reservoir.memory.db import get_engine, session_scope
from reservoir.memory.models import ApiKey
from reservoir.memory.pagination import MAX_LIMIT

MAX_ID = 2**63 - 1  # the largest integer key any of the databases stores

bearer = HTTPBearer(
    auto_error=False, bearerFormat="API key",
    description="An API key from `reservoir apikey create NAME`, sent as `Authorization: Bearer <key>`.",
)


# Dependencies that do no I/O are ``async def``: FastAPI runs sync ones in the threadpool, and
# each hop costs more than the work. The ones that touch the database stay sync.
async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (never re-read from the environment per request)."""
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def _end(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


async def get_session(request: Request, settings: SettingsDep) -> AsyncIterator[Session]:
    """One transaction per request, committed when the route returns (before the response).

    A request keeps its connection across several threadpool hops (auth, route, commit), so
    the number of open sessions is bounded here, by a slot, not by the threads: waiting for a
    slot is cheap, waiting for a pooled connection ends in a pool timeout.
    """
    async with request.app.state.db_slots:
        session = Session(get_engine(settings), expire_on_commit=False)  # no connection yet
        session.info["settings"] = settings
        try:
            yield session
        except BaseException:
            await run_in_threadpool(_end, session, False)
            raise
        await run_in_threadpool(_end, session, True)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, message, headers={"WWW-Authenticate": 'Bearer realm="reservoir"'})


def require_api_key(session: SessionDep,
                    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> ApiKey:
    """401 unless the request carries an active key; checked in the request's own session."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise _unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    row = verify_api_key(session, credentials.credentials.strip())
    if row is None:
        raise _unauthorized("invalid or revoked API key")
    if touch_due(row):
        with session_scope(session.info["settings"]) as own:
            touch_api_key(own, row.id)
    return row


ApiKeyDep = Annotated[ApiKey, Depends(require_api_key)]
AUTH = [Depends(require_api_key)]


class PageParams:
    """``limit``/``offset`` with bounds checked before any query runs (a bad value is a 422)."""

    def __init__(self, limit: int, offset: int) -> None:
        self.limit, self.offset = limit, offset

    def page(self, items: list[Any], total: int) -> dict[str, Any]:
        return {"items": items, "total": total, "limit": self.limit, "offset": self.offset}


async def page_params(limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = 50,
                      offset: Annotated[int, Query(ge=0, le=MAX_ID, description="Items to skip.")] = 0,
                      ) -> PageParams:
    return PageParams(limit, offset)


PageDep = Annotated[PageParams, Depends(page_params)]


async def get_launcher(request: Request) -> RunLauncher:
    return request.app.state.launcher


LauncherDep = Annotated[RunLauncher, Depends(get_launcher)]


DbId = Annotated[int, Path(ge=1, le=MAX_ID, description="Numeric id.")]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def storable_ref(ref: str) -> bool:
    """A name-or-id path value the queries can look up (no out-of-range or non-ASCII digits)."""
    if ref.isdigit():
        return ref.isascii() and 1 <= int(ref) <= MAX_ID
    return 0 < len(ref) <= 200
# Run ids are hex uuids; an unambiguous prefix (6+) also works. No LIKE wildcards get through.
RunId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$", description="Run id or a unique prefix of it.")]
