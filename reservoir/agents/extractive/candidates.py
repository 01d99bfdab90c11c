"""Candidates: the opportunities of a document, built from its groups or its capability statement.

The last step of the extractive strategy: ``extract_candidates`` runs the steps of the sibling
modules (sentences, features, passages) and turns each group that keeps a verbatim key
statement into a ``Candidate`` (evidence, summary, tools, numbers, steps, industries, title);
a document with none may still state what a product does (``capability``). Both kinds go
through one builder, so a candidate is assembled the same way whatever found it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reservoir.agents.capability import Capability, find_capability, is_statement, observes
from reservoir.agents.catalogue import UNKNOWN, is_vetted
from reservoir.agents.extractive.features import CATEGORY_TYPES, Feat, sentence_features
from reservoir.agents.extractive.industries import industries_of, quote_industries
from reservoir.agents.extractive.numbers import NumberMention
from reservoir.agents.extractive.passages import (
    Group,
    classify_passages,
    group_passages,
    kind_of,
    split_passages,
)
from reservoir.agents.extractive.sentences import Sentence, split_sentences
from reservoir.agents.extractive.tools import ToolMention
from reservoir.agents.prose import prose_quote
from reservoir.agents.taxonomy import INDUSTRY, TYPES, industry_label, type_label


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


_STEP = re.compile(
    r"^(?:first(?:ly)?|second(?:ly)?|third(?:ly)?|next|then|finally|lastly|after that"
    r"|afterwards|once|when|step \d+)\b|\b(?:then|next step|finally|after that)\b", re.I)
_PREREQUISITE = re.compile(
    r"\byou(?:'ll| will)? need\b|\brequires?\b|\bprerequisites?\b|\byou must have\b", re.I)
_BEFORE = re.compile(r"\b(?:used to|manually|by hand|retyp\w*|had to)\b|^before\b|\bbefore (?:we|the "
                     r"change|automat\w+|this|that|switching|moving)\b", re.I)
_CODE = re.compile(r"\b(?:API|webhooks?|scripts?|custom code|Python|JavaScript|SQL)\b")
KEY_MIN = 4.0              # evidence score a key statement needs (see _evidence_score)
CAPABILITY_PASSAGE = 3  # sentences of the statement's paragraph that decide its type


def extract_candidates(text: str, title: str = "") -> list[Candidate]:
    """Automation opportunities stated in a document, best first (usually 0–2).

    Paragraphs whose signal reaches PASSAGE_MIN_SIGNAL and that state an automation are
    assigned their dominant type (their own keywords, tool categories, and a small prior from
    the whole document); same-type paragraphs form one group, and each group that keeps a
    verbatim key statement becomes a Candidate. The title is only used as a prior.
    """
    sentences = split_sentences(text)
    feats = sentence_features(text, sentences)
    doc_types = TYPES.score(f"{title}\n{title}\n{text}")
    doc_industries = INDUSTRY.score(f"{title}\n{title}\n{text}")
    groups = group_passages(classify_passages(split_passages(feats), doc_types))
    groups = [g for g in groups if _evidence(g)]
    if not groups:  # no case-study statement: a maker's description of what a product does?
        found = _capability_candidate(text, feats, doc_types, doc_industries, title)
        return [found] if found else []
    _attach_numbers(feats, groups)
    owners = _tool_owners(groups)
    found = find_capability([f.sent.text for f in feats], title)
    product = _product_mention(found, feats) if found and not found.defines else None
    return [_case_candidate(text, g, doc_industries, feats, owners, product) for g in groups]


def states_capability(text: str) -> bool:
    """Whether a maker's description states what a product does (the pre-filter's second
    door: such pages use few of the words case studies use)."""
    return find_capability([s.text for s in split_sentences(text)]) is not None


def _case_candidate(text: str, group: Group, doc_industries: dict[str, float],
                    feats: list[Feat], owners: dict[str, str],
                    product: ToolMention | None = None) -> Candidate:
    """One opportunity from a group of case-study passages, its key statement first.

    Its tools are those of a sentence stating the automation, and the vetted tools the group
    mentions unless another candidate's type owns them (``_tool_owners``); and the product a
    maker's page is about when the group holds the sentence naming it: the catalogue may not
    know a small vendor's product ("Acme enables users to generate contracts"), but the
    capability statement does. Only a product that acts: "Acme is a 20-person agency"
    introduces the customer of a case study, not a tool.
    """
    own = [f for f in group.feats if not f.attached]
    evidence = _evidence(group)
    mentions = [t for f in own for t in f.tools
                if f.states_automation() or (is_vetted(t.category)
                                             and owners.get(t.name, group.kind) == group.kind)]
    if product is not None and any(f.sent.text == product.sentence for f in own):
        mentions = [product, *(t for t in mentions if not _overlaps(t, product)
                               and not _part_of(t.name, product.name))]
    return _build(
        group.kind, own, feats, doc_industries, evidence=evidence,
        summary=_summary(text, evidence[0].sent, feats), mentions=mentions,
        tools=_names(sorted(mentions, key=lambda t: t.start)), numbered=group.feats,
        score=group.score,
        prerequisites=[f.sent.text for f in own if _PREREQUISITE.search(f.sent.text)][:3])


def _capability_candidate(text: str, feats: list[Feat], doc_types: dict[str, float],
                          doc_industries: dict[str, float], title: str = ""
                          ) -> Candidate | None:
    """One opportunity from a capability statement (``capability``), typed like a passage.

    Its passage is the statement with the sentences after it in its paragraph (and a
    recipe's solution). A passage no type convinces is ``workflow_optimization``: software
    that does a job between systems is that type by definition (see the type descriptions).
    Its tools are the product the statement is about and the tools the passage names.
    """
    found = find_capability([f.sent.text for f in feats], title)
    if found is None:
        return None
    key = feats[found.key]
    following = [f for f in feats[found.key + 1:found.key + CAPABILITY_PASSAGE]
                 if f.sent.paragraph == key.sent.paragraph and is_statement(f.sent.text)]
    support = [feats[i] for i in found.support]
    own = [key, *following, *support]
    mentions = _capability_tools(found, feats)
    return _build(
        kind_of(own, doc_types, watches=observes(key.sent.text)), own, feats, doc_industries,
        evidence=[key, *(f for f in support if prose_quote(f.sent.text))],
        summary=prose_quote(key.sent.text) or key.sent.text, mentions=mentions,
        tools=_names(mentions), numbered=own, score=sum(f.signal for f in own),
        steps_add_complexity=False)


def _build(kind: str, own: list[Feat], feats: list[Feat], doc_industries: dict[str, float], *,
           evidence: list[Feat], summary: str, mentions: list[ToolMention], tools: list[str],
           numbered: list[Feat], score: float, prerequisites: list[str] | None = None,
           steps_add_complexity: bool = True) -> Candidate:
    """The Candidate of a passage (``own``, sentences of ``feats``): the steps both kinds share.

    Title from the type's label for the passage, the tools and a stated industry; evidence
    as prose quotes; numbers from ``numbered`` (a group's include results it was lent);
    steps from the passage. A capability candidate's complexity leaves its steps out
    (``steps_add_complexity=False``), as it always did.
    """
    passage = " ".join(f.sent.text for f in own)
    industry_quotes = quote_industries(industries_of(passage, doc_industries, own, feats), own,
                                       feats)
    industries = list(industry_quotes)
    steps = _steps(own)
    return Candidate(
        automation_type=kind, title=_title(type_label(kind, passage), tools, industries),
        summary=summary, evidence=[prose_quote(f.sent.text) or f.sent.text for f in evidence],
        industries=industries, industry_quotes=industry_quotes, tools=tools,
        numbers=sorted((n for f in numbered for n in f.numbers), key=lambda n: n.start),
        steps=steps, prerequisites=prerequisites or [],
        complexity=_complexity(mentions, steps if steps_add_complexity else [], passage),
        score=round(score, 2), tool_mentions=mentions)


def _names(mentions: list[ToolMention]) -> list[str]:
    """Each tool's name once, in the order of its first mention."""
    return list(dict.fromkeys(m.name for m in mentions))


def _evidence_score(feat: Feat, kind: str) -> float:
    vetted = {t.name for t in feat.tools if is_vetted(t.category)}
    score = 2.0 * feat.auto + 1.0 * feat.mechanic + 1.5 * min(len(vetted), 2)
    score += min(feat.types.get(kind, 0.0), 4.0) + 0.5 * bool(feat.numbers)
    score -= (feat.words < 6) + (feat.words > 50) + 1.5 * ("?" in feat.sent.text)
    score -= 1.5 * (not feat.sent.text.endswith((".", "!", ":", ";", '"', "”", ")")))
    score -= 1.5 * bool(_BEFORE.search(feat.sent.text))  # the old way, not the automation
    return score


def _evidence(group: Group) -> list[Feat]:
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


def _capability_tools(found: Capability, feats: list[Feat]) -> list[ToolMention]:
    """The product the statement is about (catalogue name, else as written), then the tools
    the statement itself (and a recipe's solution) names: a platform that the rest of a
    readme mentions ("a connector for <platform>") is where the product runs, not what the
    document is about."""
    mention = _product_mention(found, feats)
    out = [mention] if mention else []
    product = mention.name if mention else None
    out += [t for i in (found.key, *found.support) for t in feats[i].tools
            if product is None or not _part_of(t.name, product)]
    return list({m.name: m for m in reversed(out)}.values())[::-1]


def _product_mention(found: Capability, feats: list[Feat]) -> ToolMention | None:
    """The product a capability statement is about, as a mention in the sentence naming it:
    the catalogue's mention there when it has one, else the name as written."""
    if not found.product or found.product_sentence is None:
        return None
    sent = feats[found.product_sentence].sent
    at = sent.text.lower().find(found.product.lower())
    if at < 0:
        return None
    start, end = sent.start + at, sent.start + at + len(found.product)
    known = [t for t in feats[found.product_sentence].tools
             if t.start < end and t.end > start
             and (not found.titled or t.end - t.start >= end - start)]
    written = sent.text[at:at + len(found.product)]
    return known[0] if known else ToolMention(written, UNKNOWN, written, sent.text, start, end)


def _overlaps(a: ToolMention, b: ToolMention) -> bool:
    return a.start < b.end and a.end > b.start


def _part_of(name: str, product: str) -> bool:
    """A shorter catalogue name that a product's own name begins with ("Brave" in "Brave
    Search", "Microsoft" in "Microsoft Partner Center"): the same mention, not another tool."""
    return len(name) < len(product) and product.lower().startswith(name.lower() + " ")


def _tool_owners(groups: list[Group]) -> dict[str, str]:
    """Tools whose category belongs to another candidate's type stay with that candidate
    when merely mentioned ("<tool> costs $N a month") in this one."""
    kinds = {g.kind: g for g in groups}
    owners: dict[str, str] = {}
    for group in groups:
        for tool in (t for f in group.feats for t in f.tools):
            kind = CATEGORY_TYPES.get(tool.category, ("", 0.0))[0]
            if kind == group.kind and kind in kinds:
                owners[tool.name] = kind
    return owners


def _attach_numbers(feats: list[Feat], groups: list[Group]) -> None:
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
        nearest.feats.append(Feat(feat.sent, [], numbers, {}, {}, 0.0, False, False, True))


def _steps(feats: list[Feat]) -> list[str]:
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


def _summary(text: str, key: Sentence, feats: list[Feat]) -> str:
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
