"""A local folder of .html/.htm, .md/.markdown and .txt files (sorted, recursive), for
offline corpora and demos. No network: files are read straight from disk."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from reservoir.tools.extract import (
    ExtractedPage,
    decode_html,
    extract_page_bytes,
    extract_text_document,
)
from reservoir.tools.fetch import Fetcher
from reservoir.tools.sources.base import (
    SourceError,
    SourceResult,
    SourceSpec,
    config_int,
    item_from_page,
    register_adapter,
)

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
TEXT_SUFFIXES = {".md", ".markdown", ".txt", ".text"}
MAX_FILE_BYTES = 5_000_000


def folder_path(url: str) -> Path:
    """A plain path or a file:// url -> Path."""
    if url.startswith("file:"):
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise SourceError("file:// urls must point at this machine", url)
        return Path(unquote(parts.path))
    return Path(url).expanduser()


def _is_binary(data: bytes) -> bool:
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text has NULs by design
    return b"\x00" in head


def read_document(path: Path, max_bytes: int) -> ExtractedPage:
    """One file -> extracted page; ValueError with a reason when it cannot be used."""
    size = path.stat().st_size
    if size > max_bytes:
        raise ValueError(f"file of {size} bytes is over the {max_bytes} byte limit")
    data = path.read_bytes()
    if _is_binary(data):
        raise ValueError("binary file skipped")
    url = path.resolve().as_uri()
    if path.suffix.lower() in HTML_SUFFIXES:
        return extract_page_bytes(data, url)
    return extract_text_document(decode_html(data), url, title_hint=path.stem)


def _scan(root: Path, recursive: bool, max_bytes: int, limit: int) -> SourceResult:
    result = SourceResult(items=[])
    pattern = root.rglob("*") if recursive else root.glob("*")
    files = sorted(p for p in pattern if p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(root).parts))
    files = [p for p in files if p.suffix.lower() in HTML_SUFFIXES | TEXT_SUFFIXES]
    result.listed = [p.resolve().as_uri() for p in files]  # a deleted file is a gone document
    for path in files:
        if len(result.items) >= limit:
            result.errors.append(f"{root}: stopped after {limit} files (config 'limit')")
            break
        try:
            page = read_document(path, max_bytes)
        except Exception as exc:  # noqa: BLE001 - one unreadable file must not sink the folder
            result.errors.append(f"{path.resolve().as_uri()}: {exc}")
            continue
        if not page.text.strip():
            result.errors.append(f"{page.url}: no text")
            continue
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
        item = item_from_page(page, page.url, title=page.title or path.stem,
                              published_at=page.published_at or modified)
        item.extra["path"] = str(path.resolve())
        result.items.append(item)
    return result


@register_adapter("folder")
class FolderAdapter:
    kind = "folder"

    async def collect(self, source: SourceSpec, fetcher: Fetcher | None = None) -> SourceResult:
        root = folder_path(source.url)
        if not root.is_dir():
            raise SourceError("folder does not exist or is not a directory", str(root))
        recursive = source.config.get("recursive", True) is not False
        max_bytes = config_int(source, "max_bytes", MAX_FILE_BYTES, high=MAX_FILE_BYTES * 20)
        limit = config_int(source, "limit", 1000, high=100_000)
        return await asyncio.to_thread(_scan, root, recursive, max_bytes, limit)
