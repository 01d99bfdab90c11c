"""The analyst's extractive strategy: finds automation opportunities without a model.

It never invents a fact. Every string it returns (evidence, summary, steps, the sentence of a
number, a tool or an industry) is a verbatim substring of the input; titles are built from a
type label naming a keyword of the passage, the tools and an industry a sentence states. No
generative model and no network: types combine keywords with the bundled MiniLM's similarity
to general descriptions (``prototypes``, keywords alone without it). It also serves as the
scout's cheap pre-filter (``automation_signal``, keywords only) and as the fallback when a
model fails.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from reservoir.agents.capability import Capability, find_capability, is_statement
from reservoir.agents.catalogue import UNKNOWN, is_vetted, match_tools
from reservoir.agents.findings import looks_like_instruction
from reservoir.agents.prose import prose_quote, unmarked
from reservoir.agents.prototypes import type_similarities
from reservoir.agents.taxonomy import (
    AUTOMATION_TYPES,
    INDUSTRY,
    NUMBER_CONTEXT,
    SIGNAL,
    TYPES,
    classify_automation,
    classify_industry,
    industry_label,
    ranked,
    stated_industries,
    type_label,
)

__all__ = [
    "Candidate", "NumberMention", "Sentence", "ToolMention", "automation_signal",
    "classify_automation", "classify_industry", "extract_candidates", "find_numbers",
    "find_tools", "split_sentences", "states_capability",
]

# Normalisation assumptions for numbers (documented here, used by find_numbers).
WORKDAYS_PER_WEEK = 5          # "2 hours a day" -> 10 hours/week
WEEKS_PER_MONTH = 52 / 12      # "40 hours a month" -> 9.23 hours/week
HOURS_PER_WORKDAY = 8          # "two days to set up" -> 16 hours; a week of effort = 40 h


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of the input: ``text == input[start:end]``, stripped, bullet marker left out."""

    text: str
    start: int
    end: int
    paragraph: int
    list_item: bool = False


@dataclass(frozen=True, slots=True)
class ToolMention:
    name: str          # canonical catalogue name
    category: str
    alias: str         # the text as written
    sentence: str      # verbatim sentence containing it
    start: int         # offsets of the alias in the input
    end: int


@dataclass(frozen=True, slots=True)
class NumberMention:
    """A number with its meaning; ``value`` is normalised to ``unit`` (see find_numbers)."""

    field: str         # hours_saved_week | setup_hours | tool_cost_month | percent |
    value: float       # money_saved_month | other
    unit: str          # "hours/week", "hours", "USD/month", "%", ...
    raw: str           # verbatim match, == input[start:end]
    sentence: str      # verbatim sentence
    start: int
    end: int
    direction: str | None = None   # "up" | "down" for changes
    baseline: float | None = None  # the "from" value of "from X to Y"


@dataclass(slots=True)
class Candidate:
    """One opportunity found in a document; every quote in it is verbatim from the text."""

    automation_type: str
    title: str
    summary: str
    evidence: list[str]
    industries: list[str] = field(default_factory=list)
    industry_quotes: dict[str, str] = field(default_factory=dict)  # the sentence stating each
    tools: list[str] = field(default_factory=list)
    numbers: list[NumberMention] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    prerequisites: list[str] = field(default_factory=list)
    complexity: int = 1
    score: float = 0.0
    tool_mentions: list[ToolMention] = field(default_factory=list)


# --------------------------------------------------------------------------- sentences

_LINE = re.compile(r"[^\n]*\S[^\n]*")
_BULLET = re.compile(r"[ \t]*(?:[-*•·▪‣◦–—]+|\(?\d{1,2}[.)]|[a-h]\))[ \t]+")
_HEADING = re.compile(r"[ \t]*#{1,6}[ \t]+")
_TERMINATOR = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_ABBREVIATIONS = frozenset(
    "dr mr mrs ms prof sr jr st vs e.g i.e approx cf ca mt u.s u.k u.s.a e.u a.k.a incl esp "
    "dept est avg fig no nos vol ft sq".split())


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with offsets; newlines and bullets are boundaries, abbreviations are not.

    A blank line starts a paragraph; so does a single newline, unless the next line is a list
    item after another item or a lead-in ("Steps:", a heading), or a hard-wrapped continuation
    (lowercase, previous line unfinished).
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
                     and not prev_line.rstrip().endswith((".", "!", "?", ":", ";")))
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


# --------------------------------------------------------------------------- tools and signal


def find_tools(text: str) -> list[ToolMention]:
    """Catalogue tools mentioned in the text, each with its verbatim sentence, in text order."""
    return [m for ms in _tools_by_sentence(text, split_sentences(text)) for m in ms]


def _tools_by_sentence(text: str, sentences: list[Sentence]) -> list[list[ToolMention]]:
    starts = [s.start for s in sentences]
    out: list[list[ToolMention]] = [[] for _ in sentences]
    for hit in match_tools(text):
        i = bisect_right(starts, hit.start) - 1
        if i >= 0 and hit.end <= sentences[i].end:
            s = sentences[i]
            out[i].append(ToolMention(hit.name, hit.category, hit.alias, s.text, hit.start,
                                      hit.end))
    return out


SIGNAL_TOOL_ACTS = 1.5      # pre-filter points per sentence where a named tool acts


def automation_signal(text: str) -> float:
    """How much a text is about automating work: a cheap pre-filter score, 0 and up.

    Points: each signal term (automate, workflow, zap, bot, integration, trigger, no-code,
    reminder, template, webhook, …) adds its weight (0.4–1.5, at most 3 counts per term);
    each distinct catalogue tool adds 1 (at most 6), and each sentence where a named tool does
    something ("<tool> sends …") SIGNAL_TOOL_ACTS more (at most 3); time-saved and
    price-per-month phrases add 0.7. The sum is damped by length,
    ``points / (1 + words / 1000)``, so a long page with incidental words stays low. Scale:
    0 = no signal (a recipe); < 1 incidental (a company-picnic page with a "reminder"); >= 2
    likely about an automation; an article describing one (tools, steps, results) typically
    scores 8–25.
    """
    words = len(text.split())
    tools = {hit.name for hit in match_tools(text) if is_vetted(hit.category)}
    points = sum(SIGNAL.score(text).values()) + min(len(tools), 6)
    if tools:  # "<tool> sends / creates / reads ...": a named tool doing the work
        sentences = split_sentences(text)
        acting = sum(1 for s, ms in zip(sentences, _tools_by_sentence(text, sentences), strict=True)
                     if ms and _MECHANIC.search(s.text))
        points += SIGNAL_TOOL_ACTS * min(acting, 3)
    return round(points / (1 + words / 1000), 2)


# --------------------------------------------------------------------------- numbers

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_WORD_VALUES: dict[str, float] = {
    "half a dozen": 6, "a dozen": 12, "a couple of": 2, "a couple": 2, "half an": 0.5,
    "half a": 0.5, "a hundred": 100, "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
    "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "ninety": 90,
}
_WORD = "|".join(w.replace(" ", r"\s+") for w in sorted(_WORD_VALUES, key=len, reverse=True))
_QTY = rf"(?:{_NUM}|(?:{_WORD})(?=\s))"
_UNITS = (r"hours?|hrs?|h|minutes?|mins?|(?:working|business|work) ?days?|workdays?|days?"
          r"|weeks?|afternoons?|mornings?|weekends?")
_UNIT_HOURS = {"h": 1, "hour": 1, "hr": 1, "minute": 1 / 60, "min": 1 / 60,
               "day": HOURS_PER_WORKDAY, "workday": HOURS_PER_WORKDAY,
               "week": WORKDAYS_PER_WEEK * HOURS_PER_WORKDAY, "afternoon": 4, "morning": 4,
               "weekend": 2 * HOURS_PER_WORKDAY}
_MONTHLY, _YEARLY, _QUARTERLY = 1 / WEEKS_PER_MONTH, 1 / 52, 1 / 13
_PER_WEEK = {"day": WORKDAYS_PER_WEEK, "daily": WORKDAYS_PER_WEEK, "workday": WORKDAYS_PER_WEEK,
             "week": 1, "wk": 1, "weekly": 1, "month": _MONTHLY, "mo": _MONTHLY,
             "monthly": _MONTHLY, "year": _YEARLY, "yr": _YEARLY, "annum": _YEARLY,
             "annually": _YEARLY, "yearly": _YEARLY, "quarter": _QUARTERLY,
             "quarterly": _QUARTERLY}
_CURRENCY = {"$": "USD", "dollars": "USD", "usd": "USD", "€": "EUR", "euros": "EUR",
             "eur": "EUR", "£": "GBP", "pounds": "GBP", "gbp": "GBP"}


def _period(n: str) -> str:
    return (rf"(?:\s*/\s*|\s+(?:per|an?|each|every)\s+)(?P<{n}per>(?:working|business)\s+day"
            rf"|workday|day|week|month|year|quarter|wk|mo|yr|annum)\b"
            rf"|\s+(?P<{n}adv>daily|weekly|monthly|quarterly|annually|yearly)\b")


def _side(n: str) -> str:
    return (rf"(?P<{n}cur>[$€£])?(?P<{n}>{_QTY})(?P<{n}k>[kK](?!\w))?"
            rf"(?:\s*(?P<{n}unit>%|percent\b|(?:{_UNITS})\b))?(?:{_period(n)})?")


_TIME_RE = re.compile(
    rf"(?<![\w.,$€£])(?P<a>{_QTY})(?:\s*(?:-|–|—|to|or)\s*(?P<b>{_QTY}))?\s*-?\s*"
    rf"(?P<unit>{_UNITS})\b(?P<half>\s+and\s+a\s+half)?"
    rf"(?:(?:\s+(?!and\b|but\b|to\b)[\w'’/-]+){{0,4}}?(?:{_period('')}))?", re.I)
_MONEY_RE = re.compile(
    rf"(?:(?P<cur>[$€£]|\b(?:USD|EUR|GBP)\s?)(?P<a>{_NUM})(?P<k>\s?(?:[kK]|million)(?!\w))?"
    rf"|(?<![\w.])(?P<a2>{_NUM})\s?(?P<cur2>dollars|euros|pounds|USD|EUR|GBP|€|£)(?!\w))"
    rf"(?:\s*(?:-|–|to)\s*[$€£]?(?P<b>{_NUM})(?P<bk>[kK](?!\w))?)?"
    rf"(?P<user>\s*(?:/|per|an?)\s*(?:user|seat|agent|employee|person|location|member)s?\b)?"
    rf"(?:{_period('')})?(?P<user2>\s+per\s+(?:user|seat|agent|employee)\b)?", re.I)
_PCT_RE = re.compile(
    rf"(?<![\w.])(?P<a>{_NUM})(?:\s*(?:-|–|to)\s*(?P<b>{_NUM}))?\s?(?:%|percent\b|per\s+cent\b)",
    re.I)
_FROM_TO_RE = re.compile(
    rf"\bfrom\s+(?:about\s+|around\s+|roughly\s+|over\s+|nearly\s+|almost\s+)?{_side('x')}"
    rf"\s+(?:down\s+|up\s+)?to\s+(?:about\s+|around\s+|roughly\s+|just\s+|only\s+|under\s+"
    rf"|less\s+than\s+|fewer\s+than\s+)?{_side('y')}", re.I)
_MAYBE_NUMBER = re.compile(r"\d|hour|hrs|minute|min|day|week|dozen|percent|half|afternoon|morning",
                           re.I)
_CONTEXT = {k: re.compile(rf"\b(?:{v})\b", re.I) for k, v in NUMBER_CONTEXT.items()}

# "the build took N hours" is a one-off effort unless the sentence speaks of a recurring task.
_TOOK = re.compile(r"\b(?:took|taken|cost us|spent)(?: us| me| him| her| them)?"
                   r"(?: about| roughly| around| nearly| almost| over| under| just)?\s*$", re.I)
_RECURRING = re.compile(r"\b(?:each|every|per|used to|now takes?|usually|typically|on average"
                        r"|a (?:day|week|month))\b", re.I)
# Calendar spans and relative times are not effort: "over N weeks", "N days before".
_SPAN_BEFORE = re.compile(r"\b(?:over|across|within|during|for the (?:first|next|last))\s*$", re.I)
_SPAN_AFTER = re.compile(r"\s+(?:before|after|ago|later|earlier|prior|in advance|out|ahead)\b", re.I)
Parsed = tuple[str, float, str, str | None, float | None]  # field, value, unit, direction, base


def find_numbers(text: str) -> list[NumberMention]:
    """Quantities with their meaning, each with its verbatim sentence, in text order.

    Normalisation: hours saved -> hours/week (a day = 5 workdays, a month = 52/12 weeks, a year
    = 52 weeks); setup time -> hours (a day = 8 h, a week = 40 h, an afternoon = 4 h, a weekend
    = 16 h); money per period -> per month in its currency ("USD/month", "/user" when per
    seat); ranges ("10-12 hours") -> midpoint; "from A to B" keeps A as ``baseline`` and, for
    hours per period, reports A - B as hours saved. Meaning comes from the nearest context word:
    saved/freed/cut -> *_saved, set up/build -> setup_hours, costs/plan/pay (or a tool named
    in the sentence) -> tool_cost_month, dropped/increased -> percent; otherwise "other".
    """
    return [n for s in split_sentences(text) for n in numbers_in_sentence(s)]


def numbers_in_sentence(sentence: Sentence) -> list[NumberMention]:
    text = sentence.text
    if not _MAYBE_NUMBER.search(text):
        return []
    out: list[NumberMention] = []
    taken: list[tuple[int, int]] = []
    for regex, parse in ((_FROM_TO_RE, _parse_from_to), (_MONEY_RE, _parse_money),
                         (_PCT_RE, _parse_percent), (_TIME_RE, _parse_time)):
        for m in regex.finditer(text):
            if any(m.start() < b and a < m.end() for a, b in taken):
                continue
            parsed = parse(m, text)
            if parsed is None:
                continue
            taken.append(m.span())
            fld, value, unit, direction, base = parsed
            if fld == "setup_hours" and any(n.field == fld for n in out):
                fld = "other"  # "N hours, spread over M weeks": the first is the effort
            out.append(NumberMention(
                fld, round(float(value), 2), unit, m.group(), text, sentence.start + m.start(),
                sentence.start + m.end(), direction, None if base is None else round(base, 2)))
    return sorted(out, key=lambda n: n.start)


def _value(raw: str | None, k: str | None = None) -> float:
    if raw is None:
        return 0.0
    raw = raw.strip()
    value = (float(raw.replace(",", "")) if raw[0].isdigit()
             else _WORD_VALUES[" ".join(raw.lower().split())])
    if k:
        value *= 1e6 if k.strip().lower() == "million" else 1e3
    return value


def _unit_hours(unit: str) -> float:
    key = " ".join(unit.lower().split()).rstrip("s")
    key = "workday" if key.endswith("day") and key != "day" else key
    return _UNIT_HOURS.get(key, 1.0)


def _per_week(per: str | None) -> float | None:
    """How many times a period fits in a week ("a day" = 5, "a month" = 12/52), or None."""
    return _PER_WEEK[per.lower().split()[-1]] if per else None


def _nearest(text: str, start: int, end: int, labels: tuple[str, ...],
             before: int = 60, after: int = 40) -> str | None:
    """The context label whose word is closest to the number, within a small window."""
    best, best_d = None, before + after + 1
    for label in labels:
        for m in _CONTEXT[label].finditer(text, max(0, start - before), end + after):
            d = start - m.end() if m.end() <= start else m.start() - end
            if m.start() >= end or m.end() <= start:
                if d < best_d:
                    best, best_d = label, d
    return best


def _parse_time(m: re.Match[str], text: str) -> Parsed | None:
    word_qty = not m["a"][0].isdigit()
    previous = text[:m.start()].split()[-1:]
    if word_qty and previous and previous[0].lower() in {"times", "once", "twice", "per"}:
        return None
    qty = (_value(m["a"]) + _value(m["b"])) / 2 if m["b"] else _value(m["a"])
    hours = (qty + (0.5 if m["half"] else 0)) * _unit_hours(m["unit"])
    weekly = _per_week(m["per"] or m["adv"])
    if weekly is not None:
        saved = _nearest(text, m.start(), m.end(), ("save",))
        return ("hours_saved_week" if saved else "other"), hours * weekly, "hours/week", None, None
    span = _SPAN_BEFORE.search(text[max(0, m.start() - 15):m.start()]) or _SPAN_AFTER.match(
        text, m.end()) or "-" in m.group().split()[0]  # a span or a relative time
    if not span and (_nearest(text, m.start(), m.end(), ("setup",)) or (
            _TOOK.search(text[max(0, m.start() - 20):m.start()]) and not _RECURRING.search(text))):
        return "setup_hours", hours, "hours", None, None
    return None if word_qty else ("other", hours, "hours", None, None)


def _parse_money(m: re.Match[str], text: str) -> Parsed | None:
    code = _CURRENCY[(m["cur"] or m["cur2"]).strip().lower()]
    amount = _value(m["a"] or m["a2"], m["k"])
    if m["b"]:
        amount = (amount + _value(m["b"], m["bk"] or m["k"])) / 2
    weekly = _per_week(m["per"] or m["adv"])
    if weekly is None:
        return "other", amount, code, None, None
    unit = f"{code}/month" + ("/user" if m["user"] or m["user2"] else "")
    if _nearest(text, m.start(), m.end(), ("revenue",), before=40, after=0):
        return "other", amount * weekly * WEEKS_PER_MONTH, unit, None, None  # a price we earn
    context = _nearest(text, m.start(), m.end(), ("save", "cost"))
    if context == "save":
        return "money_saved_month", amount * weekly * WEEKS_PER_MONTH, unit, None, None
    fld = "tool_cost_month" if context == "cost" or match_tools(text) else "other"
    return fld, amount * weekly * WEEKS_PER_MONTH, unit, None, None


def _parse_percent(m: re.Match[str], text: str) -> Parsed | None:
    value = (_value(m["a"]) + _value(m["b"])) / 2 if m["b"] else _value(m["a"])
    direction = _nearest(text, m.start(), m.end(), ("down", "up"), before=50, after=30)
    return ("percent" if direction else "other"), value, "%", direction, None


def _parse_from_to(m: re.Match[str], text: str) -> Parsed | None:
    x, y = _value(m["x"], m["xk"]), _value(m["y"], m["yk"])
    direction = "down" if y < x else "up" if y > x else None
    unit = (m["xunit"] or m["yunit"] or "").lower()
    weekly = _per_week(m["xper"] or m["xadv"] or m["yper"] or m["yadv"])
    if unit in ("%", "percent"):
        return "percent", y, "%", direction, x
    if m["xcur"] or m["ycur"]:
        code = _CURRENCY[m["xcur"] or m["ycur"]]
        if weekly is None:
            return "other", y, code, direction, x
        f = weekly * WEEKS_PER_MONTH
        if y < x:
            return "money_saved_month", (x - y) * f, f"{code}/month", direction, x * f
        return "other", y * f, f"{code}/month", direction, x * f
    if unit:
        xh = x * _unit_hours(m["xunit"] or unit)
        yh = y * _unit_hours(m["yunit"] or unit)
        if weekly is None:
            return "other", yh, "hours", direction, xh
        if yh < xh:
            return "hours_saved_week", (xh - yh) * weekly, "hours/week", direction, xh * weekly
        return "other", yh * weekly, "hours/week", direction, xh * weekly
    if 1900 <= x <= 2100 and 1900 <= y <= 2100:
        return None  # a span of years
    return "other", y, "count", direction, x


# --------------------------------------------------------------------------- candidates

_AUTOMATION = re.compile(
    r"\b(?:automat\w*|zaps?|(?:work)?flows?|(?:chat)?bots?|integrat\w*|trigger\w*|webhooks?"
    r"|scenarios?|no-code|low-code|auto-\w+|sequences?|set (?:it |this |them )?up|built"
    r"|connected|automatically|AI|GPT|AI agents?|scripts?)\b", re.I)
_MECHANIC = re.compile(
    r"\b(?:sends?|sent|creates?|created|pulls?|pushe?s?|pushed|syncs?|synced|routes?|routed"
    r"|generates?|generated|logs?|logged|posts?|drafts?|tags?|flags?|extracts?|reads?|parses?"
    r"|texts?|emails?|updates?|notif\w+|assigns?|adds?|copies|fires?|fills?|books?|replies"
    r"|answers?|moves?|uploads?|scans?|matches|checks?|reminds?|enrich\w*|scores?|classif\w+"
    r"|summari[sz]\w*|populates?|confirms?|handles?|files?|renames?|forwards?|schedules?"
    r"|drops?|puts?|inserts?|writes?|converts?|transcribes?|translates?|pushed|extracted"
    r"|assigned|logs|grabs?|watches|looks? up|asks?|emailed|texted|notified|filed|saved|stored"
    r"|shared|uploaded|attached|exports?|exported|imported|turns?|calculates?|refreshe[sd]"
    r"|compares?|computes?|tall(?:y|ies)|totals|reconciles?|becomes?|publish(?:es|ed)?|lands?"
    r"|appears?|shows? up|receives?|delivers?|passe[sd] (?:on|to))\b", re.I)
_STEP = re.compile(
    r"^(?:first(?:ly)?|second(?:ly)?|third(?:ly)?|next|then|finally|lastly|after that"
    r"|afterwards|once|when|step \d+)\b|\b(?:then|next step|finally|after that)\b", re.I)
_PREREQUISITE = re.compile(
    r"\byou(?:'ll| will)? need\b|\brequires?\b|\bprerequisites?\b|\byou must have\b", re.I)
_BEFORE = re.compile(r"\b(?:used to|manually|by hand|retyp\w*|had to)\b|^before\b|\bbefore (?:we|the "
                     r"change|automat\w+|this|that|switching|moving)\b", re.I)
_CODE = re.compile(r"\b(?:API|webhooks?|scripts?|custom code|Python|JavaScript|SQL)\b")
_CATEGORY_TYPES: dict[str, tuple[str, float]] = {
    # A tool's category leans a passage towards a type; keywords still decide.
    "scheduling": ("scheduling", 0.5), "email_marketing": ("marketing", 0.5),
    "esign": ("document_automation", 0.5), "document_ai": ("document_automation", 1.0),
    "forms": ("document_automation", 0.25), "helpdesk": ("client_communication", 0.5),
    "chatbot": ("client_communication", 0.75), "reporting": ("reporting", 1.0),
    "social_media": ("marketing", 1.0), "reviews": ("marketing", 0.75),
    "sales_engagement": ("lead_generation", 1.0), "project_management":
    ("workflow_optimization", 0.25),
}
PASSAGE_MIN_SIGNAL = 2.5   # signal points a paragraph needs to count as automation content
TYPE_BOOST = 0.2           # share of its best keyword score that adds to a paragraph's signal
MIN_TYPE_KEYWORDS = 1.5    # keyword score a paragraph needs to start a group of its own type
DOC_PRIOR = 0.05           # weight of the whole document's type scores in a paragraph's type
KEEP_RATIO = 0.2           # a group scoring under this share of the best group is dropped
TOOL_ACTS = 1.0            # extra signal of a sentence where a named tool does something
MAX_CANDIDATES = 3
INDUSTRY_MIN = 3.0         # industry score (paragraphs + 3/4 of the document's) to name it
KEY_MIN = 4.0              # evidence score a key statement needs (see _evidence_score)
# Type by meaning (see _classify); calibrated by bench/calibrate_types.py on demo + hand-written.
# EMB_WEIGHT and SHARE_POWER: the middle of the grid's best plateau (EMB_WEIGHT 3-5 at 0.5);
# OTHER_SIM: the strictest value that costs nothing there (0.35 loses fresh paragraphs).
EMB_WEIGHT = 4.0           # weight of the prototype similarity against the keyword scores
SHARE_POWER = 0.5          # keyword scores are divided by their sum to this power (1: shares)
OTHER_SIM = 0.3            # best similarity under which an untyped passage is "other"
STRONG_SIM = 0.4           # similarity that lets a passage naming a tool state an automation


@dataclass(slots=True)
class _Feat:
    """What extract_candidates knows about one sentence."""

    sent: Sentence
    tools: list[ToolMention]
    numbers: list[NumberMention]
    types: dict[str, float]     # keyword scores plus the categories of the tools named
    keywords: dict[str, float]  # keyword scores only
    signal: float
    auto: bool
    mechanic: bool
    attached: bool = False  # only lent to a group for its numbers

    @property
    def words(self) -> int:
        return len(self.sent.text.split())

    def states_automation(self) -> bool:
        """An automation or mechanics verb, plus a tool or a type keyword: a key statement."""
        acts = self.auto or self.mechanic
        vetted = any(is_vetted(t.category) for t in self.tools)
        return acts and (vetted or max(self.types.values(), default=0) >= 1.5)

    def is_heading(self) -> bool:
        text = self.sent.text
        return self.words <= 10 and not text.endswith((".", "!", "?", ";", ",", '"', "”"))


def _features(text: str, sentences: list[Sentence]) -> list[_Feat]:
    feats = []
    for sent, tools in zip(sentences, _tools_by_sentence(text, sentences), strict=True):
        keywords = TYPES.score(sent.text)
        types = dict(keywords)
        for tool in tools:
            kind, weight = _CATEGORY_TYPES.get(tool.category, ("", 0.0))
            if kind:
                types[kind] = types.get(kind, 0.0) + weight
        mechanic = bool(_MECHANIC.search(sent.text))
        vetted = {t.name for t in tools if is_vetted(t.category)}  # see catalogue.is_vetted
        signal = sum(SIGNAL.score(sent.text).values()) + len(vetted)
        signal += TOOL_ACTS * (mechanic and bool(vetted))  # "UiPath ... sends exceptions"
        feats.append(_Feat(sent, tools, numbers_in_sentence(sent), types, keywords, signal,
                           bool(_AUTOMATION.search(sent.text)), mechanic))
    return feats


def _add(into: dict[str, float], scores: dict[str, float], weight: float = 1.0) -> None:
    for key, value in scores.items():
        into[key] = into.get(key, 0.0) + weight * value


@dataclass(slots=True)
class _Group:
    kind: str
    feats: list[_Feat]
    signal: float = 0.0

    @property
    def type_score(self) -> float:
        return sum(f.types.get(self.kind, 0.0) for f in self.feats)

    @property
    def score(self) -> float:
        return self.signal + self.type_score


def _passages(feats: list[_Feat], size: int = 6) -> list[list[_Feat]]:
    """Paragraphs as passages, a heading joined to the paragraph it introduces; a long
    paragraph is cut into windows of ``size`` sentences."""
    out: list[list[_Feat]] = []
    for feat in feats:
        same = out and out[-1][-1].sent.paragraph == feat.sent.paragraph and len(out[-1]) < size
        if same or (out and all(f.is_heading() for f in out[-1])):
            out[-1].append(feat)
        else:
            out.append([feat])
    return out


@dataclass(slots=True)
class _Passage:
    feats: list[_Feat]
    kind: str
    signal: float
    strong: bool
    typed: bool  # its own keywords or a close prototype say which type it is


def _classify(passages: list[list[_Feat]], doc_types: dict[str, float]) -> list[_Passage]:
    """Each passage's signal and type; strong = enough signal and a key statement.

    The type combines the passage's keyword scores (plus the tool categories and a small
    document prior), divided by the square root of their sum so that many keywords weigh more
    than a few, with its MiniLM similarity to each type's general descriptions
    (``prototypes``): ``score / sum ** SHARE_POWER + EMB_WEIGHT * similarity``. A passage whose best
    similarity stays under OTHER_SIM and whose keywords do not decide is of type ``other``. A
    passage close to a type's description (STRONG_SIM) that names a tool counts as stating an
    automation even without the words the keyword lists know.
    """
    sims = _similarities(passages)
    out = []
    for feats, sim in zip(passages, sims, strict=True):
        signal = sum(f.signal for f in feats)
        scores, keywords = _type_scores(feats, doc_types)
        kind = _kind(scores, sim, keywords)
        states = any(f.states_automation() for f in feats)
        strong = signal + TYPE_BOOST * keywords >= PASSAGE_MIN_SIGNAL and states
        close = bool(sim) and max(sim.values()) >= STRONG_SIM
        if close and not strong:
            strong = any(f.tools and (f.mechanic or f.auto) for f in feats) and (
                signal >= PASSAGE_MIN_SIGNAL / 2)
        out.append(_Passage(feats, kind, signal, strong, keywords >= MIN_TYPE_KEYWORDS or close))
    return out


def _type_scores(feats: list[_Feat], doc_types: dict[str, float]
                 ) -> tuple[dict[str, float], float]:
    """A passage's type scores (its sentences' keywords and tool categories plus the small
    document prior) and its best type's keyword score alone."""
    scores: dict[str, float] = {}
    for feat in feats:
        _add(scores, feat.types)
    keywords = max((sum(f.keywords.get(k, 0.0) for f in feats) for k in scores), default=0.0)
    _add(scores, doc_types, DOC_PRIOR)
    return scores, keywords


def _similarities(passages: list[list[_Feat]]) -> list[dict[str, float]]:
    """Prototype similarities of the passages that could matter (some signal); {} for others."""
    wanted = [i for i, feats in enumerate(passages) if sum(f.signal for f in feats) > 0]
    texts = [" ".join(f.sent.text for f in passages[i]) for i in wanted]
    found = type_similarities(texts) if EMB_WEIGHT > 0 else None
    out: list[dict[str, float]] = [{} for _ in passages]
    for i, sim in zip(wanted, found or [], strict=False):
        out[i] = sim
    return out


def _kind(scores: dict[str, float], sim: dict[str, float], keywords: float) -> str:
    """Damped keyword scores plus weighted similarity; ``other`` when neither convinces."""
    if not sim:
        return max(scores, key=lambda k: scores[k]) if scores else "other"
    total = (sum(v for v in scores.values() if v > 0) or 1.0) ** SHARE_POWER
    combined = {k: max(scores.get(k, 0.0), 0.0) / total + EMB_WEIGHT * sim.get(k, 0.0)
                for k in set(scores) | set(sim)}
    if max(sim.values()) < OTHER_SIM and keywords < MIN_TYPE_KEYWORDS:
        return "other"
    order = {name: i for i, name in enumerate(AUTOMATION_TYPES)}
    return min(combined, key=lambda k: (-combined[k], order.get(k, 99)))


def _groups(passages: list[_Passage]) -> list[_Group]:
    """Strong passages grouped by type (one group per type); the best groups are kept.

    A strong passage whose own keywords do not tell its type, or of a type too weak to stand
    alone, joins a kept group at most two passages away, and so does a how-to list right
    after one: they describe the same setup. Without any typed passage, the strong ones form
    one group of the document's dominant type.
    """
    by_type: dict[str, _Group] = {}
    typed = [p for p in passages if p.strong and p.typed]
    for p in typed or [p for p in passages if p.strong]:
        group = by_type.setdefault(p.kind, _Group(p.kind, []))
        group.feats += p.feats
        group.signal += p.signal
    kept = {g.kind: g for g in _select(list(by_type.values()))}
    for i, p in enumerate(passages):
        is_list = p.signal > 0 and any(f.sent.list_item for f in p.feats)
        if (p.strong and p.kind in kept and (p.typed or not typed)) or not (p.strong or is_list):
            continue
        near = (-1, -2, -3) if is_list and not p.strong else (-1, 1, -2, 2)
        for d in near:
            q = passages[i + d] if 0 <= i + d < len(passages) else None
            if q is not None and q.strong and q.kind in kept and (q.typed or not typed):
                kept[q.kind].feats += p.feats
                break
    for group in kept.values():
        group.feats.sort(key=lambda f: f.sent.start)
    return sorted(kept.values(), key=lambda g: -g.score)


def _select(groups: list[_Group]) -> list[_Group]:
    ranked_groups = sorted(groups, key=lambda g: -g.score)
    if not ranked_groups:
        return []
    best = ranked_groups[0].score
    return [g for i, g in enumerate(ranked_groups[:MAX_CANDIDATES])
            if i == 0 or (g.score >= KEEP_RATIO * best and g.type_score >= MIN_TYPE_KEYWORDS)]


def _evidence_score(feat: _Feat, kind: str) -> float:
    vetted = {t.name for t in feat.tools if is_vetted(t.category)}
    score = 2.0 * feat.auto + 1.0 * feat.mechanic + 1.5 * min(len(vetted), 2)
    score += min(feat.types.get(kind, 0.0), 4.0) + 0.5 * bool(feat.numbers)
    score -= (feat.words < 6) + (feat.words > 50) + 1.5 * ("?" in feat.sent.text)
    score -= 1.5 * (not feat.sent.text.endswith((".", "!", ":", ";", '"', "”", ")")))
    score -= 1.5 * bool(_BEFORE.search(feat.sent.text))  # the old way, not the automation
    return score


def _evidence(group: _Group) -> list[_Feat]:
    """The key statement first, then up to two supporting sentences in text order.

    No sentence scoring KEY_MIN (an automation verb with a tool or the type's keywords)
    means the group states no automation, and yields no candidate. Markup, setup steps, code
    and calls to action are never evidence (``prose.prose_quote``).
    """
    eligible = [f for f in group.feats if f.states_automation() and 5 <= f.words <= 80
                and _evidence_score(f, group.kind) >= KEY_MIN and prose_quote(f.sent.text)]
    if not eligible:
        return []
    scored = sorted(eligible, key=lambda f: -_evidence_score(f, group.kind))
    key = scored[0]
    floor = 0.5 * _evidence_score(key, group.kind)
    rest = [f for f in scored[1:3] if _evidence_score(f, group.kind) >= floor]
    return [key] + sorted(rest, key=lambda f: f.sent.start)


def extract_candidates(text: str, title: str = "") -> list[Candidate]:
    """Automation opportunities stated in a document, best first (usually 0–2).

    Paragraphs whose signal reaches PASSAGE_MIN_SIGNAL and that state an automation are
    assigned their dominant type (their own keywords, tool categories, and a small prior from
    the whole document); same-type paragraphs form one group, and each group that keeps a
    verbatim key statement becomes a Candidate. The title is only used as a prior.
    """
    sentences = split_sentences(text)
    feats = _features(text, sentences)
    doc_types = TYPES.score(f"{title}\n{title}\n{text}")
    doc_industries = INDUSTRY.score(f"{title}\n{title}\n{text}")
    groups = _groups(_classify(_passages(feats), doc_types))
    groups = [g for g in groups if _evidence(g)]
    if not groups:  # no case-study statement: a maker's description of what a product does?
        found = _capability_candidate(text, feats, doc_types, doc_industries)
        return [found] if found else []
    _attach_numbers(feats, groups)
    owners = _tool_owners(groups)
    return [_candidate(text, g, doc_industries, feats, owners) for g in groups]


def states_capability(text: str) -> bool:
    """Whether a maker's description states what a product does (the pre-filter's second
    door: such pages use few of the words case studies use)."""
    return find_capability([s.text for s in split_sentences(text)]) is not None


CAPABILITY_PASSAGE = 3  # sentences of the statement's paragraph that decide its type


def _capability_candidate(text: str, feats: list[_Feat], doc_types: dict[str, float],
                          doc_industries: dict[str, float]) -> Candidate | None:
    """One opportunity from a capability statement (``capability``), typed like a passage.

    Its passage is the statement with the sentences after it in its paragraph (and a
    recipe's solution). A passage no type convinces is ``workflow_optimization``: software
    that does a job between systems is that type by definition (see the type descriptions).
    Its tools are the product the statement is about and the tools the passage names.
    """
    found = find_capability([f.sent.text for f in feats])
    if found is None:
        return None
    key = feats[found.key]
    following = [f for f in feats[found.key + 1:found.key + CAPABILITY_PASSAGE]
                 if f.sent.paragraph == key.sent.paragraph and is_statement(f.sent.text)]
    own = [key, *following, *(feats[i] for i in found.support)]
    kind = _kind_of(own, doc_types)
    mentions = _capability_tools(found, feats)
    tools = list(dict.fromkeys(m.name for m in mentions))
    passage = " ".join(f.sent.text for f in own)
    industry_quotes = _industry_quotes(_industries(passage, doc_industries, own, feats), own,
                                       feats)
    evidence = [key, *(f for f in (feats[i] for i in found.support) if prose_quote(f.sent.text))]
    return Candidate(
        automation_type=kind, title=_title(type_label(kind, passage), tools, list(industry_quotes)),
        summary=prose_quote(key.sent.text) or key.sent.text,
        evidence=[prose_quote(f.sent.text) or f.sent.text for f in evidence],
        industries=list(industry_quotes), industry_quotes=industry_quotes,
        tools=tools, numbers=sorted((n for f in own for n in f.numbers), key=lambda n: n.start),
        steps=_steps(own), complexity=_complexity(mentions, [], passage),
        score=round(sum(f.signal for f in own), 2), tool_mentions=mentions)


def _kind_of(feats: list[_Feat], doc_types: dict[str, float]) -> str:
    scores, keywords = _type_scores(feats, doc_types)
    sim = (type_similarities([" ".join(f.sent.text for f in feats)]) or [{}])[0]
    kind = _kind(scores, sim, keywords)
    return "workflow_optimization" if kind == "other" else kind


def _capability_tools(found: Capability, feats: list[_Feat]) -> list[ToolMention]:
    """The product the statement is about (catalogue name, else as written), then the tools
    the statement itself (and a recipe's solution) names: a platform that the rest of a
    readme mentions ("a connector for <platform>") is where the product runs, not what the
    document is about."""
    out: list[ToolMention] = []
    if found.product and found.product_sentence is not None:
        sent = feats[found.product_sentence].sent
        at = sent.text.lower().find(found.product.lower())
        if at >= 0:
            start, end = sent.start + at, sent.start + at + len(found.product)
            known = [t for t in feats[found.product_sentence].tools
                     if t.start < end and t.end > start
                     and (not found.titled or t.end - t.start >= end - start)]
            written = sent.text[at:at + len(found.product)]
            out += known or [ToolMention(written, UNKNOWN, written, sent.text, start, end)]
    product = out[0].name if out else None
    out += [t for i in (found.key, *found.support) for t in feats[i].tools
            if product is None or not _part_of(t.name, product)]
    return list({m.name: m for m in reversed(out)}.values())[::-1]


def _part_of(name: str, product: str) -> bool:
    """A shorter catalogue name that a product's own name begins with ("Brave" in "Brave
    Search", "Microsoft" in "Microsoft Partner Center"): the same mention, not another tool."""
    return len(name) < len(product) and product.lower().startswith(name.lower() + " ")


def _tool_owners(groups: list[_Group]) -> dict[str, str]:
    """Tools whose category belongs to another candidate's type stay with that candidate
    when merely mentioned ("<tool> costs $N a month") in this one."""
    kinds = {g.kind: g for g in groups}
    owners: dict[str, str] = {}
    for group in groups:
        for tool in (t for f in group.feats for t in f.tools):
            kind = _CATEGORY_TYPES.get(tool.category, ("", 0.0))[0]
            if kind == group.kind and kind in kinds:
                owners[tool.name] = kind
    return owners


def _attach_numbers(feats: list[_Feat], groups: list[_Group]) -> None:
    """Results stated outside a group (a "Results" paragraph) go to the nearest group."""
    if not groups:
        return
    inside = {id(f) for g in groups for f in g.feats}
    for feat in feats:
        if id(feat) in inside or not any(n.field != "other" for n in feat.numbers):
            continue
        nearest = min(groups, key=lambda g: min(
            abs(f.sent.paragraph - feat.sent.paragraph) for f in g.feats))
        numbers = [n for n in feat.numbers if n.field != "other"]
        nearest.feats.append(_Feat(feat.sent, [], numbers, {}, {}, 0.0, False, False, True))


def _candidate(text: str, group: _Group, doc_industries: dict[str, float],
               feats: list[_Feat], owners: dict[str, str]) -> Candidate:
    own = [f for f in group.feats if not f.attached]
    evidence = _evidence(group)
    mentions = [t for f in own for t in f.tools
                if f.states_automation() or (is_vetted(t.category)
                                             and owners.get(t.name, group.kind) == group.kind)]
    tools = list(dict.fromkeys(t.name for t in sorted(mentions, key=lambda t: t.start)))
    passage = " ".join(f.sent.text for f in own)
    industry_quotes = _industry_quotes(_industries(passage, doc_industries, own, feats), own,
                                       feats)
    industries = list(industry_quotes)
    steps = _steps(own)
    label = type_label(group.kind, passage)
    return Candidate(
        automation_type=group.kind, title=_title(label, tools, industries),
        summary=_summary(text, evidence[0].sent, feats),
        evidence=[prose_quote(f.sent.text) or f.sent.text for f in evidence],
        industries=industries, industry_quotes=industry_quotes, tools=tools,
        numbers=sorted((n for f in group.feats for n in f.numbers), key=lambda n: n.start),
        steps=steps, prerequisites=[f.sent.text for f in own if _PREREQUISITE.search(f.sent.text)
                                    ][:3],
        complexity=_complexity(mentions, steps, passage), score=round(group.score, 2),
        tool_mentions=mentions)


def _industries(passage: str, doc_industries: dict[str, float], own: list[_Feat],
                feats: list[_Feat]) -> list[str]:
    """The best-scoring industries among those a sentence of the document states."""
    stated = set().union(*(stated_industries(f.sent.text) for f in own + feats))
    scores = {k: v for k, v in INDUSTRY.score(passage).items() if k in stated}
    _add(scores, {k: v for k, v in doc_industries.items() if k in stated}, 0.75)
    ranked_ind = ranked(scores)
    if not ranked_ind:
        return ["other"]
    top = ranked_ind[0][1]
    return [name for name, s in ranked_ind
            if s >= INDUSTRY_MIN and s >= 0.6 * top][:2] or ["other"]


def _industry_quotes(industries: list[str], own: list[_Feat], feats: list[_Feat]
                     ) -> dict[str, str]:
    """Each industry with the sentence that states it (its own passage first, then the
    document); an industry no sentence states is left out, so no title or report names it."""
    out: dict[str, str] = {}
    for industry in industries:
        for feat in own + feats:
            text = feat.sent.text
            if industry in stated_industries(text) and not looks_like_instruction(text):
                out[industry] = unmarked(text)
                break
    return out


def _steps(feats: list[_Feat]) -> list[str]:
    """Verbatim sentences that read as steps: list items and first/then/next/finally."""
    steps = [f.sent.text for f in feats if not f.is_heading() and (
        (f.sent.list_item and f.words >= 3)
        or (_STEP.search(f.sent.text) and (f.auto or f.mechanic or f.tools)))]
    return list(dict.fromkeys(steps))[:8]


def _complexity(mentions: list[ToolMention], steps: list[str], passage: str) -> int:
    """1 + distinct tools (max 5) + 1 for 3+ steps + 1 for 6+ steps + 1 for an AI, RPA or
    document-AI tool + 1 for code (API, webhook, script), clamped to 1–10."""
    tools = {m.name for m in mentions}
    value = 1 + min(len(tools), 5) + (len(steps) >= 3) + (len(steps) >= 6)
    value += any(m.category in ("ai", "rpa", "document_ai") for m in mentions)
    value += bool(_CODE.search(passage))
    return max(1, min(10, value))


def _title(label: str, tools: list[str], industries: list[str]) -> str:
    """Type label + tools + industry: nothing that is not in the passage."""
    title = label
    if tools:
        shown = tools[:3]
        title += " with " + (shown[0] if len(shown) == 1
                             else ", ".join(shown[:-1]) + " and " + shown[-1])
    named = [i for i in industries if i != "other"]
    if named:
        title += " for " + industry_label(named[0])
    return title


def _summary(text: str, key: Sentence, feats: list[_Feat]) -> str:
    """The key sentence (markers cut off), with the next one of its paragraph when it is
    short and prose too: still verbatim."""
    quote = prose_quote(key.text) or key.text
    start = key.end - len(quote)
    if len(quote.split()) >= 15:
        return quote
    following = [f.sent for f in feats if f.sent.start > key.start]
    if (following and following[0].paragraph == key.paragraph
            and prose_quote(following[0].text) == following[0].text):
        return text[start:following[0].end]
    return quote
