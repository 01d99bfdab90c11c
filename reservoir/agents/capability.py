"""Capability statements: what a product, an integration or a recipe does, in its maker's words.

Case studies say "we automated X with Y and saved Z hours" — the extractive strategy's key
statements. Much automation text on the web is written by makers instead: a connector's
readme, an agent's or a node's description, a how-to recipe. It describes an automation that
someone can set up, in a handful of general forms:

- a subject that acts: "The Telegram Agent receives events and sends them via Telegram",
  "Acme Checker returns the status of a number", "This connector allows you to create tasks",
  "The Acme Agent will watch a bucket for changes";
- a definition: "Acme is a platform that …", "With the Acme service, you can create PDFs";
- a title line followed by a sentence without its own subject: "Acme Rates" / "Provides
  access to the rates …";
- a problem and its solution: "You want to parse a CSV file." / "Use the CSV node to …".

``find_capability`` finds the first such statement in a document that speaks of software and
names the product it is about: the statement's subject, or the document's title line when
the statement repeats its name or has no subject of its own. A subject made only of common
English words ("The Gap Detector Agent") describes a function, not a product, and names none.
Every string it points at is a sentence of the text. The extractive strategy calls this only
when no case-study statement was found, so the pages it was tuned on keep their findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from reservoir.agents.catalogue import COMMON_WORDS, GENERIC_TECH, canonical_name
from reservoir.agents.lexical import whole_words
from reservoir.agents.prose import is_imperative, prose_quote

# Nouns that say the subject is a piece of software ("the Acme connector", "this agent").
SOFTWARE_NOUNS = (r"agents?|connectors?|nodes?|integrations?|API|APIs|apps?|applications?"
                  r"|services?|plugins?|plug-ins?|add-ons?|extensions?|bots?|tools?|platforms?"
                  r"|modules?|flows?|workflows?|SDK|webhooks?|software|system|solution")
_SOFTWARE = re.compile(
    rf"\b(?:{SOFTWARE_NOUNS}|events?|messages?|data|records?|files?|requests?|notifications?"
    r"|e-?mails?|SMS|JSON|CSV|XML|HTTP|URLs?|endpoints?|database|queries|search results"
    r"|online|cloud|automat\w+|integrat\w+|sync\w*)\b", re.I)
SOFTWARE_MIN = 2  # mentions of software in a document that make its statements about software
# Verbs of what a product does, in the base form (present tense: + s / es / ies).
_ACTIONS = ("receive send create generate watch monitor track emit publish post return retrieve"
            " fetch collect convert check follow notify sync import export upload download read"
            " write parse extract translate transcribe schedule route update manage automate"
            " integrate connect search query look deliver forward store analyze analyse decode"
            " validate verify report output consume subscribe perform gather save stream"
            " listen trigger run execute process handle filter merge split detect alert"
            " allow let enable help provide offer give contain support streamline facilitate"
            " empower simplify").split()


# Verbs of a product that reads a source rather than acting on one: what it watches comes in
# (LABELLING.md: "watches a source and emits what changed" is reporting), where "send" or
# "publish" goes out. "Follow up" is a follow-up, not a watch.
_OBSERVES = re.compile(
    r"^[^.;:]{0,80}?\b(?:watch|monitor|track|follow(?!s?\s+up\b)|check|consume|subscribe|poll"
    r"|scrape)(?:s|es|ed|ing)?\s", re.I)


def observes(sentence: str) -> bool:
    """The statement's product watches a source (feed, search, account, value) for what is new
    or changed: the direction of the work, which neither keywords nor meaning tell apart from
    publishing to the same service."""
    return _OBSERVES.match(sentence) is not None


def _third_person(verb: str) -> str:
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + ("es" if verb.endswith(("s", "sh", "ch", "x", "z")) else "s")


_BASE = "|".join(_ACTIONS)
_PRESENT = "|".join(_third_person(v) for v in _ACTIONS)
_VERB = (rf"(?:(?:can|will|may)\s+(?:also\s+|then\s+)?(?:be\s+used\s+to\s+)?(?:{_BASE})"
         rf"|is\s+(?:able|used|designed|meant|built|intended)\s+to|is\s+triggered"
         rf"|(?:also\s+)?(?:{_PRESENT}))\b")
_TOKEN = (r"(?:[A-Z][\w'’.&+-]*[\w+]|[A-Z]|[a-z]+[A-Z][\w.-]*|[0-9]+[A-Za-z][\w.-]*"
          r"|[a-z][a-z0-9-]*\.(?:ai|io|com|net|org|app|co|dev)\b)")  # "wit.ai": a domain as a name
_NAME = rf"{_TOKEN}(?:(?:\s+(?:&|by|of|for|de)\s+|\s+|-){_TOKEN}){{0,5}}"
_ARTICLE = r"(?:(?:The|This|Our|An?)\s+)?"
# Up to two lower-case qualifiers before the software noun ("The Acme community node").
_QUALIFIERS = r"(?:\s+(?!(?:and|or|of|with|to|for|from|in|on)\b)[a-z][a-z-]+){0,2}"
_SUBJECT = (rf"{_ARTICLE}_?(?P<n>{_NAME})_?(?:{_QUALIFIERS}\s+(?:{SOFTWARE_NOUNS}))?"
            r"(?:\s*\([^)]*\))?")
# "<The> Acme <agent> sends …", "Acme Checker returns …", "The Acme Agent will watch …"
_ACTS = re.compile(rf"^{_SUBJECT}\s+{_VERB}")
# "Acme is a/an/the …" (a definition), "With (the) Acme service, you can …",
# "Use (the) Acme connector to …"
_DEFINES = re.compile(rf"^{_SUBJECT}\s+(?:is|are)\s+(?:a|an|the|one\s+of)\b")
_WITH = re.compile(rf"^(?:With|Using|Through|Via)\s+(?:the\s+)?(?P<n>{_NAME})"
                   rf"(?:\s+(?:{SOFTWARE_NOUNS}))?\s*,\s+(?:you|users?|teams?)\s+can\b")
_USE_TO = re.compile(rf"^Use\s+(?:the\s+)?(?P<n>{_NAME})\s+(?:{SOFTWARE_NOUNS})\s+to\b")
# "This connector lets you …": the subject is the document's own product, unnamed here.
_THIS_ACTS = re.compile(rf"^(?:The|This|These|Our|It)\s+(?:(?:{SOFTWARE_NOUNS})\s+)?{_VERB}",
                        re.I)
# A sentence without its own subject under a title line: "Provides access to …".
_BARE = re.compile(rf"^(?:{_PRESENT})\b", re.I)
# A problem and its solution, the form of how-to recipes: "You want to …" / "Use the … to …".
_PROBLEM = re.compile(r"^(?:You|I|We)\b.{0,120}?\b(?:want|need|would\s+like)\s+to\s+\w+", re.I)
_LEADING = frozenset({"The", "This", "Our", "A", "An"})
_TRAILING = re.compile(rf"^(?:{SOFTWARE_NOUNS}|Independent|Connector|Custom|Certified|Preview)$",
                       re.I)
_CAMEL_NOUN = re.compile(r"(?<=[a-z0-9])(?:Agent|Connector|Node|Integration|Bot|Plugin|App)$")
_INNER_CAPITAL = re.compile(r"^[A-Z]?[a-z]{2,}[A-Z]")
_CAMEL_PARTS = re.compile(r"[A-Z]?[a-z]+|[A-Z0-9]+(?![a-z])")
_TITLE_MAX_WORDS = 8
_FIRST_SENTENCES = 4  # a title line counts among this many first sentences
_TITLE_LOOKAHEAD = 3  # sentences after a statement that may hold the title product's own


@dataclass(frozen=True, slots=True)
class Capability:
    """A capability statement: its sentence indexes and the product it is about."""

    key: int                       # index of the statement in the sentence list
    support: tuple[int, ...]       # sentences that go with it (a recipe's solution)
    product: str | None            # the product's name as written, when a sentence names it
    product_sentence: int | None   # the sentence that names it
    titled: bool = False           # the name is the title's own (no shorter catalogue name)
    defines: bool = False          # "<X> is a …": says what X is, not that X does the job


def is_statement(sentence: str) -> bool:
    """A sentence that can be quoted as a statement: prose, or a first line that reads as one
    (six words or more, mostly lower case: not a Title Case heading)."""
    if prose_quote(sentence) is None:
        return False
    words = sentence.split()
    if sentence.rstrip().endswith((".", "!", ")", '"', "”")):
        return True
    return len(words) >= 6 and sum(w[:1].isupper() for w in words) <= len(words) / 2


def _is_title(text: str) -> bool:
    words = text.split()
    return (0 < len(words) <= _TITLE_MAX_WORDS and not text.endswith((".", "!", "?", ":", ","))
            and words[0][:1].isupper())


def _trim(name: str) -> str:
    """"The Acme Connector for Power Automate" -> "Acme": articles, software nouns and a
    trailing "for <platform>" are not part of a product's name."""
    name = re.sub(r"\s+(?:for|on|in)\s+[A-Z][\w ]*$", "", name)
    words = name.strip("_*").split()
    while words and words[0] in _LEADING:
        words = words[1:]
    while words and _TRAILING.match(words[-1]):
        words = words[:-1]
    return " ".join(words)


def product_name(name: str) -> str | None:
    """A subject that reads as a product: a catalogue name, a brand with an inner capital, or a
    proper name not made only of common English words ("Gap Detector" is what an agent does,
    "LocalFileAgent" a class name; "Aftership" and "YakChat" are products)."""
    name = _trim(name)
    if len(name) < 2 or _CAMEL_NOUN.search(name):  # "AcmeAgent": a class name, not a brand
        return None
    if canonical_name(name):
        return name
    if any(_INNER_CAPITAL.search(w) for w in name.split()):
        return name  # a brand written with an inner capital ("YakChat", "ServiceDesk")
    words = [w for part in name.split() for w in _CAMEL_PARTS.findall(part) or [part]]
    lowered = [w.lower().strip("&.,'’") for w in words if w not in {"&", "by", "of", "for"}]
    if not lowered or all(w in COMMON_WORDS or w in GENERIC_TECH for w in lowered):
        return None
    return name


def _title_in(title: str, sentences: list[str]) -> tuple[str, int] | None:
    """The longest leading part of a title line that a sentence repeats, with that sentence."""
    words = _trim(title).split()
    for n in range(len(words), 0, -1):
        name = " ".join(words[:n])
        if product_name(name) is None:
            continue
        at = _first_writing(name, sentences, re.I)
        if at is not None:
            return name, at
    return None


def _first_writing(name: str, sentences: list[str], flags: int = 0) -> int | None:
    """The index of the first sentence that writes ``name`` as whole words."""
    pattern = whole_words(name, flags)
    return next((i for i, text in enumerate(sentences) if pattern.search(text)), None)


def _named_statement(text: str) -> str | None:
    for pattern in (_WITH, _USE_TO, _ACTS, _DEFINES):
        m = pattern.match(text)
        if m:
            return m.group("n")
    return None


def find_capability(sentences: list[str], page_title: str = "") -> Capability | None:
    """The first capability statement of a document (see the module docstring).

    A statement about another product than the title's ("Acme Suite is a family of apps"
    under the title "Acme Calendar") gives way to a statement a few sentences later whose
    subject is the title's product: the title says what the page is about.
    """
    if sum(len(_SOFTWARE.findall(s)) for s in sentences) < SOFTWARE_MIN:
        return None
    statement = [is_statement(s) for s in sentences]
    title: tuple[int, str] | None = None
    for i, text in enumerate(sentences):
        if not statement[i]:
            if title is None and i < _FIRST_SENTENCES and _is_title(text):
                title = (i, text)
            continue
        subject = _named_statement(text)
        if subject is not None:
            i, subject = _title_subject(i, subject, title, sentences, statement)
            found = _with_product(i, subject, title, sentences, page_title)
            return replace(found, defines=_DEFINES.match(sentences[i]) is not None)
        if _THIS_ACTS.match(text) or (title and i <= title[0] + 2 and _BARE.match(text)):
            return _with_product(i, None, title, sentences)
        if _PROBLEM.match(text):
            solution = next((j for j in range(i + 1, min(i + 5, len(sentences)))
                             if _solves(sentences[j], statement[j])), None)
            if solution is not None:
                return Capability(i, (solution,), None, None)
    return None


def _solves(sentence: str, statement: bool) -> bool:
    """A recipe's solution: an instruction ("Use the … node to …") or a statement of what a
    piece of software does ("The … node can be used to …")."""
    return is_imperative(sentence) or (statement and (_ACTS.match(sentence) is not None
                                                      or _THIS_ACTS.match(sentence) is not None))


def _agrees(subject: str, title: str) -> bool:
    """The subject names the title's product: one is the other's leading words."""
    a, b = _trim(subject).lower().split(), _trim(title).lower().split()
    n = min(len(a), len(b))
    return n > 0 and a[:n] == b[:n]


def _title_subject(i: int, subject: str, title: tuple[int, str] | None, sentences: list[str],
                   statement: list[bool]) -> tuple[int, str]:
    """The statement to take: this one, or the next within ``_TITLE_LOOKAHEAD`` sentences
    whose subject is the title's product when this one's is not."""
    if title is None or _agrees(subject, title[1]):
        return i, subject
    for j in range(i + 1, min(i + 1 + _TITLE_LOOKAHEAD, len(sentences))):
        other = _named_statement(sentences[j]) if statement[j] else None
        if other is not None and _agrees(other, title[1]):
            return j, other
    return i, subject


def _product_title(title: tuple[int, str] | None) -> str | None:
    """A title line that names a product: not one naming a piece of software ("Acme Likes
    Agent" names an agent of Acme's, whose product is Acme)."""
    if title is None or _TRAILING.match(title[1].split()[-1]):
        return None
    return _trim(title[1]) or None


def _title_form(named: str, title: tuple[int, str] | None, sentences: list[str]
                ) -> tuple[str, int] | None:
    """The title's name of the product, as full as the title writes it ("Acme" under the
    title "Acme CRM" is "Acme CRM"), with the first sentence that writes it so (the title
    line at the latest), or None when the title names something else."""
    full = _product_title(title)
    if full is None or len(full) < len(named) or not _agrees(named, full):
        return None
    at = _first_writing(full, sentences)  # as the title writes it, capitals included
    return None if at is None else (full, at)


_DOMAIN = re.compile(r"(?<![\w.@-])(?:https?://)?(?:www\.|app\.|api\.)?([a-z0-9-]+)\.[a-z]{2,}\b",
                     re.I)


def _is_linked(name: str, sentences: list[str]) -> bool:
    """A name of common words that the document links as its own domain ("Pushover" and
    pushover.net): a brand, not a description."""
    key = re.sub(r"[\s.-]+", "", name).lower()
    return len(key) >= 4 and any(m.group(1).replace("-", "").lower() == key
                                 for text in sentences for m in _DOMAIN.finditer(text))


def _with_product(i: int, subject: str | None, title: tuple[int, str] | None,
                  sentences: list[str], page_title: str = "") -> Capability:
    """The statement with its product: the subject when it reads as one (in the title's
    fuller form when the title extends it; a name of common words too when the title line
    or the page's title is that name: "Map Pro" titled "Map Pro"), else the title's name as
    the statement or the next sentences repeat it, else the title line itself."""
    named = product_name(subject) if subject else None
    titles = {_product_title(title), _product_title((0, page_title)) if page_title else None}
    if subject and named is None and (_trim(subject) in titles - {None}
                                      or _is_linked(_trim(subject), sentences)):
        named = _trim(subject)
    if named:
        fuller = _title_form(named, title, sentences)
        if fuller:
            return Capability(i, (), fuller[0], fuller[1], titled=True)
        return Capability(i, (), named, i)
    if title is None:
        return Capability(i, (), None, None)
    window = sentences[i:i + 3]
    found = _title_in(title[1], window)
    if found:
        return Capability(i, (), found[0], i + found[1])
    named = product_name(title[1])
    return Capability(i, (), named, title[0] if named else None)


__all__ = ["Capability", "SOFTWARE_NOUNS", "find_capability", "is_statement", "observes",
           "product_name"]
