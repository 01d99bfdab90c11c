"""Scale a source's figure to a profile: read the unit the source states, then use the owner's facts.

A source says "the two people who route email save 55 hours a week between them"; a realty
office with one person on its inbox does not save 55 hours. The unit is read from the quoted
sentence (per person, per group of N people, per lead/invoice/appointment/ticket, or none),
the figure is brought to one unit, multiplied by the profile's own headcount or monthly
volume, and bounded by the profile's capacity. Every step is written down as a chain.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from typing import Any

from reservoir.agents.extractive import WEEKS_PER_MONTH, NumberMention, _value, find_numbers
from reservoir.memory.models import VOLUME_KINDS, BusinessProfile, Evidence

INPUT_FIELDS = ("hours_saved_week", "setup_hours", "tool_cost_month")


def evidence_mentions(evidence: list[Evidence]
                      ) -> dict[str, list[tuple[float, Evidence, NumberMention]]]:
    """Re-read each number from its quoted sentence: the value and its unit are the source's."""
    found: dict[str, list[tuple[float, Evidence, NumberMention]]] = {f: [] for f in INPUT_FIELDS}
    for item in evidence:
        for mention in find_numbers(item.quote):
            if mention.field in found:
                found[mention.field].append((mention.value, item, mention))
    return found

HOURS_PER_PERSON_WEEK = 40.0
# Documented bounds (README "ROI v2"): shares of the profile's capacity = team_size × 40 h/week.
PERSON_SHARE = 0.5      # one automation frees at most half of each covered person's week
UNITLESS_SHARE = 0.10   # a figure with no unit ("the team saves 15 h") is bounded by 10 % of it
TEAM_SHARE = 0.25       # no single automation frees more than a quarter of the team's hours
FUNCTION_SHARE = 0.25   # unstated headcount: at most a quarter of the team does one function

GENERIC_ROLES = {"person", "staff", "staffer", "employee", "member"}  # say nothing of the work
_COUNT = (r"\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a couple of"
          r"|a dozen")
_ROLES = (r"people|persons?|staff(?:ers)?|employees?|clerks?|agents?|bookkeepers?|accountants?"
          r"|coordinators?|recruiters?|supervisors?|SDRs?|reps?|representatives?|paralegals?"
          r"|assistants?|receptionists?|dispatchers?|technicians?|managers?|co-hosts?|advisors?"
          r"|executives?|nurses?|hygienists?|brokers?|CSRs?|planners?|designers?|developers?"
          r"|admins?|associates?|cashiers?|drivers?|estimators?|stylists?|tutors?|teachers?")
_GROUP = re.compile(rf"\b(?P<n>{_COUNT})\s+(?:[\w-]+\s+){{0,2}}?(?P<role>{_ROLES})\b", re.I)
_EACH = re.compile(rf"\b(?:each|apiece|per\s+(?P<per>{_ROLES})|every\s+(?P<every>{_ROLES}))\b",
                   re.I)
_EACH_ROLE = re.compile(rf"\beach\s+(?:of\s+(?:our|the|my)\s+)?(?:[\w-]+\s+)?(?P<role>{_ROLES})\b",
                        re.I)
_PRONOUN = re.compile(r"\b(?P<who>I|[Ss]he|[Hh]e|me|her|him)\b")
_SINGLE = re.compile(r"\b(?:the|our|my)\s+(?:[\w-]+\s+){0,2}?"
                     r"(?P<role>front desk|receptionist|office manager|assistant|bookkeeper|"
                     r"coordinator|paralegal|CSR|manager|dispatcher|owner|co-host|founder)\s+"
                     r"(?:(?:\w+\s+){0,6}?)saves\b", re.I)
_ITEMS: dict[str, str] = {
    "leads": r"leads?|inquir(?:y|ies)|enquir(?:y|ies)|prospects?|sign-?ups?",
    "invoices": r"invoices?|bills?|receipts?",
    "appointments": r"appointments?|bookings?|visits?|consultations?|(?:new\s+)?patients?"
                    r"|reservations?",
    "tickets": r"tickets?|emails?|requests?|claims?|messages?|orders?",
}
_ITEM = "|".join(f"(?P<{kind}>{words})" for kind, words in _ITEMS.items())
_VOLUME = re.compile(rf"\b(?P<n>\d[\d,]*|{_COUNT})\s+(?:new\s+|incoming\s+)?(?:{_ITEM})\s+"
                     r"(?:a|per|each|every)\s+(?P<per>day|week|month)\b", re.I)
_PER_ITEM_SAVED = re.compile(
    rf"\b(?:sav\w*|cut\w*|free\w*|shav\w*)\b[^.;]{{0,40}}?(?P<n>\d+(?:\.\d+)?)\s*"
    rf"(?P<unit>minutes?|mins?|hours?)\s+(?:per|on each|for each|from each|each|a)\s+"
    rf"(?:new\s+)?(?:{_ITEM})\b", re.I)
_PER_WEEK = {"day": 5.0, "week": 1.0, "month": 1 / WEEKS_PER_MONTH}
# The work an automation type takes off someone: used to find the owner's headcount for it.
FUNCTION_WORDS: dict[str, tuple[str, ...]] = {
    "lead_generation": ("lead", "sales", "agent", "sdr", "intake", "inbound"),
    "client_communication": ("email", "inbox", "inbound", "support", "front desk", "reception",
                             "customer service", "client"),
    "document_automation": ("paperwork", "admin", "document", "back office", "transaction",
                            "data entry", "bookkeep"),
    "scheduling": ("front desk", "reception", "scheduling", "booking", "dispatch", "appointment"),
    "follow_up": ("follow", "sales", "agent", "account", "billing", "collections"),
    "reporting": ("report", "bookkeep", "finance", "accounting", "analyst", "manager"),
    "marketing": ("marketing", "social", "content", "listing"),
    "workflow_optimization": ("operations", "ops", "admin", "office"),
    "other": ("admin", "office", "operations"),
}


@dataclass
class Unit:
    """What a quoted figure covers, as the source states it."""

    kind: str                 # "person" | "group" | "team" (no unit)
    people: float = 1.0       # how many people the figure covers
    role: str | None = None   # the role as written ("clerks", "front desk")
    said: str = ""            # how the chain names it


@dataclass
class Scaled:
    """A value for the profile with the chain of steps from the quote to it."""

    value: float
    chain: list[str] = field(default_factory=list)
    unit: str = "team"
    capped: bool = False


def _count(raw: str) -> float:
    raw = " ".join(raw.lower().split())
    return float(raw.replace(",", "")) if raw[0].isdigit() else _value(raw)


def _singular(word: str) -> str:
    word = word.lower()
    if word == "people":
        return "person"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _one(role: str) -> str:
    """A role as written, in the singular, for the chain ("SDRs" -> "SDR")."""
    if role.lower() == "people":
        return "person"
    return role[:-1] if role.endswith("s") and not role.endswith("ss") else role


def read_unit(sentence: str) -> Unit:
    """Per person ("each", "per agent"), per group ("across five SDRs"), one person ("I",
    "the receptionist saves") or none ("the team saves", "we save")."""
    each = _EACH.search(sentence)
    group = _GROUP.search(sentence)
    if each:
        role = each["per"] or each["every"] or (m["role"] if (m := _EACH_ROLE.search(sentence))
                                                else None) or (group["role"] if group else None)
        label = _one(role) if role else "person"
        return Unit("person", 1.0, role, f"per {label}")
    if group and (n := _count(group["n"])) >= 1:
        role = group["role"]
        if n == 1:
            return Unit("person", 1.0, role, f"one {_singular(role)}")
        return Unit("group", n, role, f"{n:g} {role}")
    if single := _SINGLE.search(sentence):
        return Unit("person", 1.0, single["role"], f"one person ({single['role'].lower()})")
    if who := _PRONOUN.search(sentence):
        return Unit("person", 1.0, "person", f"one person (“{who['who']}”)")
    return Unit("team", 1.0, None, "no unit stated (a team of unknown size)")


def people_on_function(profile: BusinessProfile, role: str | None, automation_type: str,
                       source_people: float, sentence: str = "", *, capped: bool = True
                       ) -> tuple[float, str]:
    """The profile's people doing this work. Its headcount for the source's role counts in
    full, and so does its headcount for the work the sentence names ("route email" →
    "inbound email"); its headcount for the function (by automation type) counts up to the
    source's own number of people, since the work may differ (in full when not `capped`:
    seats, or the ratio between two profiles); unstated, an assumption bounded by a share of
    the team."""
    headcount = {k: int(v) for k, v in (profile.headcount or {}).items() if int(v) > 0}
    role = None if role and _singular(role) in GENERIC_ROLES else role
    if role and (key := _headcount_key(headcount, (_singular(role),))):
        return float(headcount[key]), f"you have {headcount[key]} on {key}"
    named = tuple(w for key in headcount for w in re.findall(r"[a-z]{4,}", key.lower())
                  if re.search(rf"\b{w}", sentence.lower()))
    if key := _headcount_key(headcount, named):
        return float(headcount[key]), f"you have {headcount[key]} on {key}"
    if key := _headcount_key(headcount, FUNCTION_WORDS.get(automation_type, ())):
        n = headcount[key]
        if n <= source_people or not capped:
            return float(n), f"you have {n} on {key}"
        return source_people, (f"you have {n} on {key}, maybe not the same work: counted as "
                               f"the source's {source_people:g}")
    limit = max(1, round(profile.team_size * FUNCTION_SHARE))
    n = float(min(max(source_people, 1.0), limit, profile.team_size))
    return n, (f"you have not said how many people do this work: assumed {n:g} (the source's "
               f"{source_people:g}, at most {FUNCTION_SHARE:.0%} of your team of "
               f"{profile.team_size})")


def _headcount_key(headcount: dict[str, int], words: tuple[str, ...]) -> str | None:
    for word in words:
        for key in headcount:
            if word in key.lower() or _singular(key) == word:
                return key
    return None


def capacity(profile: BusinessProfile) -> float:
    """The team's hours a week: no saving may exceed a share of it."""
    return profile.team_size * HOURS_PER_PERSON_WEEK


def _quote(text: str) -> str:
    return f"“{text.strip()}”"


def scale_weekly(value: float, sentence: str, profile: BusinessProfile,
                 automation_type: str) -> Scaled:
    """A quoted hours-per-week saving brought to the profile by the unit its sentence states."""
    unit = read_unit(sentence)
    chain = [f"source: {_quote(sentence)} → {value:g} h/week, {unit.said}"]
    if unit.kind == "team":
        bound = UNITLESS_SHARE * capacity(profile)
        chain.append(f"bounded by {UNITLESS_SHARE:.0%} of your team's {capacity(profile):g} h/week"
                     f" = {bound:g} h")
        if value > bound:
            return Scaled(bound, [*chain, f"capped at {bound:g} h/week"], "team", True)
        return Scaled(value, [*chain, f"{value:g} h/week (within the bound)"], "team")
    per_person = value / unit.people
    if unit.kind == "group":
        chain.append(f"{per_person:g} h per {_one(unit.role or 'person')}")
    people, said = people_on_function(profile, unit.role, automation_type, unit.people, sentence)
    total = per_person * people
    chain.append(f"{said} → {total:g} h/week")
    bound = PERSON_SHARE * HOURS_PER_PERSON_WEEK * people
    if total > bound:
        chain.append(f"capped at {bound:g} h/week ({PERSON_SHARE:.0%} of {people:g} × "
                     f"{HOURS_PER_PERSON_WEEK:g} h)")
        return Scaled(bound, chain, "person", True)
    return Scaled(total, chain, "person")


def stated_volumes(quotes: list[str]) -> dict[str, float]:
    """Items per week the sources state ("roughly 35 new patients a week"), per kind."""
    found: dict[str, list[float]] = {}
    for quote in quotes:
        for m in _VOLUME.finditer(quote):
            kind = next(k for k in VOLUME_KINDS if m[k])
            found.setdefault(kind, []).append(_count(m["n"]) * _PER_WEEK[m["per"].lower()])
    return {k: float(statistics.median(v)) for k, v in found.items()}


def scale_by_volume(value: float, sentence: str, quotes: list[str],
                    profile: BusinessProfile) -> Scaled | None:
    """When the source states its volume and the profile its own, the saving per item times
    the profile's volume; None when either is missing."""
    volumes = profile.monthly_volumes or {}
    stated = {k: v for k, v in stated_volumes([sentence, *quotes]).items() if volumes.get(k)}
    if not stated:
        return None
    kind, per_week = next(iter(stated.items()))
    per_item = value / per_week
    mine = float(volumes[kind]) / WEEKS_PER_MONTH
    total = per_item * mine
    return Scaled(total, [
        f"source: {_quote(sentence)} → {value:g} h/week over {per_week:g} {kind} a week"
        f" = {per_item * 60:.3g} min per {kind[:-1]}",
        f"you have {float(volumes[kind]):g} {kind}/month ({mine:.3g}/week) → {total:.3g} h/week"],
        "item")


def per_item_savings(quotes: list[str], profile: BusinessProfile) -> list[Scaled]:
    """"saves 5 minutes per invoice": times the profile's monthly volume of that item."""
    volumes = profile.monthly_volumes or {}
    out = []
    for quote in quotes:
        for m in _PER_ITEM_SAVED.finditer(quote):
            kind = next(k for k in VOLUME_KINDS if m[k])
            if not volumes.get(kind):
                continue
            hours = float(m["n"]) / (60 if m["unit"].lower().startswith("m") else 1)
            mine = float(volumes[kind]) / WEEKS_PER_MONTH
            out.append(Scaled(hours * mine, [
                f"source: {_quote(quote)} → {hours * 60:g} min per {kind[:-1]}",
                f"you have {float(volumes[kind]):g} {kind}/month ({mine:.3g}/week) → "
                f"{hours * mine:.3g} h/week"], "item"))
    return out


def team_cap(scaled: Scaled, profile: BusinessProfile) -> Scaled:
    """No saving exceeds a share of the profile's capacity, whatever the unit."""
    bound = TEAM_SHARE * capacity(profile)
    if scaled.value <= bound:
        return scaled
    return Scaled(bound, [*scaled.chain, f"capped at {bound:g} h/week ({TEAM_SHARE:.0%} of your "
                                        f"team's {capacity(profile):g} h/week)"],
                  scaled.unit, True)


def scale_hours(mentions: list[tuple[float, str]], quotes: list[str], profile: BusinessProfile,
                automation_type: str) -> Scaled | None:
    """The profile's hours saved a week from every quoted figure (the median), or None."""
    options = per_item_savings(quotes, profile)
    for value, sentence in mentions:
        options.append(scale_by_volume(value, sentence, quotes, profile)
                       or scale_weekly(value, sentence, profile, automation_type))
    if not options:
        return None
    options = [team_cap(o, profile) for o in options]
    ordered = sorted(options, key=lambda o: o.value)
    middle = ordered[(len(ordered) - 1) // 2]
    if len(ordered) > 1:
        middle = Scaled(middle.value, [*middle.chain, f"the median of {len(ordered)} quoted "
                                                      "figures so scaled"],
                        middle.unit, middle.capped)
    return middle


def scale_seat_cost(cost: float, unit: str, profile: BusinessProfile, automation_type: str
                    ) -> tuple[float, str | None]:
    """A per-seat price times the people who need a seat; other prices stand as quoted."""
    if not unit.endswith("/user"):
        return cost, None
    people, said = people_on_function(profile, None, automation_type, 1.0, capped=False)
    return cost * people, f"${cost:g}/month per seat; {said} → ${cost * people:g}/month"


def profile_facts(profile: BusinessProfile) -> dict[str, Any]:
    """The owner's facts the scaling used, for the stored input sources."""
    return {"team_size": profile.team_size, "headcount": dict(profile.headcount or {}),
            "monthly_volumes": dict(profile.monthly_volumes or {})}
