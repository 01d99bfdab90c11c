"""Text preparation: passages for the embedding model, words for full-text queries.

MiniLM reads at most 256 word pieces; 180 English words is about 235 of them, so a passage
is embedded whole. Cuts fall on paragraph, then sentence, boundaries, and consecutive
passages share a little text so an idea split across a cut is still found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import combinations

_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"(?<=[.!?…。！？])[\"')\]]*\s+")
_SPACE = re.compile(r"\s+")


def _sentences(paragraph: str) -> list[str]:
    return [s for s in (_SPACE.sub(" ", part).strip() for part in _SENTENCE.split(paragraph)) if s]


def _units(text: str, piece: int) -> list[tuple[list[str], bool]]:
    """Sentences as word lists with a paragraph-start flag; overlong ones cut into pieces."""
    units: list[tuple[list[str], bool]] = []
    for paragraph in _PARAGRAPH.split(text):
        first = True
        for sentence in _sentences(paragraph):
            words = sentence.split(" ")
            for start in range(0, len(words), piece):
                units.append((words[start : start + piece], first))
                first = False
    return units


def _render(units: list[tuple[list[str], bool]]) -> str:
    out = ""
    for words, new_paragraph in units:
        sep = "" if not out else ("\n\n" if new_paragraph else " ")
        out += sep + " ".join(words)
    return out


def chunk_text(text: str, max_words: int = 180, overlap: int = 30) -> list[str]:
    """Passages of at most ``max_words`` words, overlapping by up to ``overlap`` words."""
    if max_words < 1 or overlap < 0 or overlap >= max_words:
        raise ValueError("need max_words >= 1 and 0 <= overlap < max_words")
    # Pieces of an overlong sentence leave room for the overlap in front of them.
    units = _units(text or "", max(1, max_words - overlap))
    chunks: list[str] = []
    current: list[tuple[list[str], bool]] = []
    size = 0
    fresh = 0  # words in `current` not already emitted in the previous chunk
    for unit in units:
        n = len(unit[0])
        if current and size + n > max_words:
            chunks.append(_render(current))
            current, size = _tail(current, overlap, max_words - n)
            fresh = 0
        current.append(unit)
        size += n
        fresh += n
    if current and fresh:
        chunks.append(_render(current))
    return chunks


def _tail(units: list[tuple[list[str], bool]], overlap: int, room: int
          ) -> tuple[list[tuple[list[str], bool]], int]:
    """Whole trailing sentences up to ``overlap`` words; else the last words of the last one."""
    budget = min(overlap, room)
    if budget <= 0:
        return [], 0
    kept: list[tuple[list[str], bool]] = []
    size = 0
    for words, flag in reversed(units):
        if size + len(words) > budget:
            break
        kept.insert(0, (words, flag))
        size += len(words)
    if not kept:
        words = units[-1][0][-budget:]
        kept, size = [(words, False)], len(words)
    return kept, size


# --------------------------------------------------------------------------- query words

MAX_TERMS = 32  # a pasted 2 KB query still makes a small full-text query
STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each either few for
from further had has have having he her here hers him his how i if in into is it its itself
just me more most my near neither no nor not of off on once only or other our ours out over
own same she should so some such than that the their them then there these they this those
through to too under until up very was we were what when where which while who whom why will
with within without would you your yours via per etc get gets got make makes way ways want
need needs let lets us using use used something anything thing things
""".split())
_TOKEN = re.compile(r"[^\W_]+")


def query_terms(query: str, max_terms: int = MAX_TERMS) -> list[str]:
    """Lower-cased word tokens without stopwords, deduplicated; nothing of FTS syntax survives."""
    seen: dict[str, None] = {}
    for token in _TOKEN.findall((query or "").lower()):
        if token in STOPWORDS or (len(token) < 2 and not token.isdigit()):
            continue
        seen.setdefault(token, None)
        if len(seen) >= max_terms:
            break
    return list(seen)


def fts5_query(terms: Sequence[str], min_match: int = 1) -> str:
    """OR of quoted terms (bm25 rewards the rare ones), or with ``min_match=2`` an OR of
    every pair, so a row must hold two of the words: FTS5 intersects doclists in C instead of
    scoring every row that holds one common word. bm25 then counts each word once per pair
    it is in, the same factor for all words: the order of results is unchanged."""
    quoted = ['"' + t.replace('"', "") + '"' for t in terms]
    if min_match < 2 or len(quoted) < 2:
        return " OR ".join(quoted)
    return " OR ".join(f"({a} AND {b})" for a, b in combinations(quoted, 2))
