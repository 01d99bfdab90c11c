"""Sentences with their offsets: the unit every quote of the extractive strategy is cut from.

Split out of the extractive strategy because the verification layer, the LLM analyst, the
scout and the ask graph split text the same way without extracting anything: a quote is
verbatim when it is ``input[start:end]`` of one of these sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of the input: ``text == input[start:end]``, stripped, bullet marker left out."""

    text: str
    start: int
    end: int
    paragraph: int
    list_item: bool = False


_LINE = re.compile(r"[^\n]*\S[^\n]*")
_BULLET = re.compile(r"[ \t]*(?:[-*•·▪‣◦–—]+|\(?\d{1,2}[.)]|[a-h]\))[ \t]+")
_HEADING = re.compile(r"[ \t]*#{1,6}[ \t]+")
# A line that opens with a term being defined is an entry of its own, even in lower case: an
# identifier ("data_key sets …", "this.createEvent(…)") or a word followed by a dash, a colon
# or a bracket ("ttl - A value …", "headers: an object …", "stops (array)"), as option and
# field lists in documentation are written. Hard-wrapped prose does not go on that way.
_DEFINED_TERM = re.compile(r"(?:[a-z]\w*(?:[._]\w+|[A-Z]\w*)+(?:\(\S*\))?|[a-z][\w.]*(?=\s+[-–—(]|:\s))")
_TERMINATOR = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_ABBREVIATIONS = frozenset(
    "dr mr mrs ms prof sr jr st vs e.g i.e approx cf ca mt u.s u.k u.s.a e.u a.k.a incl esp "
    "dept est avg fig no nos vol ft sq".split())


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with offsets; newlines and bullets are boundaries, abbreviations are not.

    A blank line starts a paragraph; so does a single newline, unless the next line is a list
    item after another item or a lead-in ("Steps:", a heading), or a hard-wrapped continuation
    (lowercase, previous line unfinished) that does not open with a defined term.
    """
    out: list[Sentence] = []
    paragraph, prev_end, prev_line, prev_item = -1, 0, "", False
    block: tuple[int, int, bool] | None = None
    for line in _LINE.finditer(text):
        marker = _BULLET.match(line.group()) or _HEADING.match(line.group())
        is_item = bool(marker) and marker.re is _BULLET  # type: ignore[union-attr]
        start = line.start() + (marker.end() if marker else 0)
        body = text[start:line.end()].lstrip()
        blank = text.count("\n", prev_end, line.start()) > 1
        continued = (block is not None and not blank and not marker and body[:1].islower()
                     and not prev_line.rstrip().endswith((".", "!", "?", ":", ";"))
                     and not _DEFINED_TERM.match(body))
        if continued:
            block = (block[0], line.end(), block[2])  # type: ignore[index]
        else:
            if block is not None:
                out += _split_block(text, *block[:2], paragraph, block[2])
            lead_in = prev_item or not prev_line.rstrip().endswith((".", "!", "?"))
            if blank or not is_item or not lead_in or paragraph < 0:
                paragraph += 1
            block = (start, line.end(), is_item)
        prev_end, prev_line, prev_item = line.end(), line.group(), is_item
    if block is not None:
        out += _split_block(text, *block[:2], paragraph, block[2])
    return out


def _split_block(text: str, start: int, end: int, paragraph: int, item: bool) -> list[Sentence]:
    cuts = [start]
    for m in _TERMINATOR.finditer(text, start, end):
        if _is_boundary(text, m, end):
            cuts.append(m.end())
    cuts.append(end)
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        chunk = text[a:b]
        lead = len(chunk) - len(chunk.lstrip())
        body = chunk.strip()
        if any(c.isalnum() for c in body):
            out.append(Sentence(body, a + lead, a + lead + len(body), paragraph, item))
    return out


def _is_boundary(text: str, m: re.Match[str], end: int) -> bool:
    nxt = text[m.end():end].lstrip()[:1]
    if not nxt or nxt.islower():
        return not nxt
    if m.group().startswith((".", "…")) and len(m.group().rstrip("\"'”’)]")) == 1:
        word = re.search(r"[\w.'’-]+$", text[max(0, m.start() - 12):m.start()])
        token = word.group().lower().strip(".") if word else ""
        if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
            return False
    return True
