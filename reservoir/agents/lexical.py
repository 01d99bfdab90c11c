"""Content words with a light stemmer: the one lexical overlap shared by answers and evals.

The ask graph scores sentences and checks a generated sentence against its quote with it;
the eval metrics judge faithfulness with the very same function, so what an answer keeps
and what the eval counts as supported cannot drift apart.
"""

from __future__ import annotations

import re
from functools import lru_cache

STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has
have having he her here hers him his how i if in into is it its itself just me more most my no nor
not now of off on once only or other our ours out over own same she should so some such than that
the their theirs them then there these they this those through to too under until up very was we
were what when where which while who whom why will with would you your yours now us via per new
tool tools reservoir holds
""".split())
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@lru_cache(maxsize=1024)
def whole_words(name: str, flags: int = re.I) -> re.Pattern[str]:
    """A pattern finding ``name`` as whole words ("Slack", not "Slacker"); case-insensitive
    unless ``flags`` says otherwise. Compiled once per name and flags."""
    return re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", flags)


PLURAL_MIN = 3  # a plain plural "s" comes off a 3-letter stem too ("dogs", "apps"); not "sms", "bus"


def stem(word: str) -> str:
    """A light suffix stripper: "reminders" ~ "reminder", "automated" ~ "automates" ~ "automate"."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        shortest = PLURAL_MIN if suffix == "s" else 4
        if word.endswith(suffix) and len(word) - len(suffix) >= shortest and not word.endswith("ss"):
            word = word[: len(word) - len(suffix)] + keep
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


_CAMEL = re.compile(r"[a-z][A-Z]|[A-Z]{2}[a-z]")
_CAMEL_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def content_words(text: str) -> set[str]:
    """Stemmed words that carry meaning; a word run together from capitalised parts
    ("SwissQR", "DataOutputAgent") also counts as its parts, as a reader would say them."""
    raw = re.findall(r"[^\W_]+", text)
    words = [w.lower() for w in raw]
    words += [p.lower() for w in raw if _CAMEL.search(w) for p in _CAMEL_PART.findall(w)]
    return {stem(w) for w in words if w not in STOPWORDS and (len(w) > 2 or w.isdigit())}


def support(claim: str, quote: str) -> float:
    """Share of the claim's content words that occur in the quote (0 for an empty claim)."""
    words = content_words(claim)
    return len(words & content_words(quote)) / len(words) if words else 0.0


def coverage(question_words: set[str], text: str) -> float:
    """Share of the question's content words a text holds (0 when the question has none)."""
    return len(question_words & content_words(text)) / len(question_words) if question_words else 0.0


def numbers_in(text: str) -> set[str]:
    """Numbers as written, separators dropped ("1,200" -> "1200")."""
    return {n.replace(",", "") for n in _NUMBER.findall(text)}
