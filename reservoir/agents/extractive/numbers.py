"""Numbers with their meaning (hours saved, setup time, cost, percent), each with its sentence.

Over half of the extractive strategy's regexes and parsers: a module of its own so the
normalisation assumptions (a day, a week, a month) sit next to the one reader that applies
them; ``roi_scale`` reads quantities with the same ``_value``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reservoir.agents.catalogue import match_tools
from reservoir.agents.extractive.sentences import Sentence, split_sentences
from reservoir.agents.taxonomy import NUMBER_CONTEXT

# Normalisation assumptions for numbers (documented here, used by find_numbers).
WORKDAYS_PER_WEEK = 5          # "2 hours a day" -> 10 hours/week
WEEKS_PER_MONTH = 52 / 12      # "40 hours a month" -> 9.23 hours/week
HOURS_PER_WORKDAY = 8          # "two days to set up" -> 16 hours; a week of effort = 40 h


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
