"""What the extractive strategy reads in each sentence: tools, numbers, type keywords, signal.

Every later step (passages, groups, evidence, steps) decides from these per-sentence
features, never from the raw text again. The scout's pre-filter, ``automation_signal``,
counts the same cues (signal terms, tools, a named tool acting) over a whole text, so it
lives here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reservoir.agents.catalogue import is_vetted, match_tools
from reservoir.agents.extractive.numbers import NumberMention, numbers_in_sentence
from reservoir.agents.extractive.sentences import Sentence, split_sentences
from reservoir.agents.extractive.tools import ToolMention, tools_by_sentence
from reservoir.agents.taxonomy import SIGNAL, TYPES

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

CATEGORY_TYPES: dict[str, tuple[str, float]] = {
    # A tool's category leans a passage towards a type; keywords still decide.
    "scheduling": ("scheduling", 0.5), "email_marketing": ("marketing", 0.5),
    "esign": ("document_automation", 0.5), "document_ai": ("document_automation", 1.0),
    "forms": ("document_automation", 0.25), "helpdesk": ("client_communication", 0.5),
    "chatbot": ("client_communication", 0.75), "reporting": ("reporting", 1.0),
    "social_media": ("marketing", 1.0), "reviews": ("marketing", 0.75),
    "sales_engagement": ("lead_generation", 1.0), "project_management":
    ("workflow_optimization", 0.25),
}
TOOL_ACTS = 1.0            # extra signal of a sentence where a named tool does something
SIGNAL_TOOL_ACTS = 1.5     # pre-filter points per sentence where a named tool acts


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
        acting = sum(1 for s, ms in zip(sentences, tools_by_sentence(text, sentences), strict=True)
                     if ms and _MECHANIC.search(s.text))
        points += SIGNAL_TOOL_ACTS * min(acting, 3)
    return round(points / (1 + words / 1000), 2)


@dataclass(slots=True)
class Feat:
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


def sentence_features(text: str, sentences: list[Sentence]) -> list[Feat]:
    """The features of each sentence of ``text``, in order."""
    feats = []
    for sent, tools in zip(sentences, tools_by_sentence(text, sentences), strict=True):
        keywords = TYPES.score(sent.text)
        types = dict(keywords)
        for tool in tools:
            kind, weight = CATEGORY_TYPES.get(tool.category, ("", 0.0))
            if kind:
                types[kind] = types.get(kind, 0.0) + weight
        mechanic = bool(_MECHANIC.search(sent.text))
        vetted = {t.name for t in tools if is_vetted(t.category)}  # see catalogue.is_vetted
        signal = sum(SIGNAL.score(sent.text).values()) + len(vetted)
        signal += TOOL_ACTS * (mechanic and bool(vetted))  # "UiPath ... sends exceptions"
        feats.append(Feat(sent, tools, numbers_in_sentence(sent), types, keywords, signal,
                          bool(_AUTOMATION.search(sent.text)), mechanic))
    return feats


def add_scores(into: dict[str, float], scores: dict[str, float], weight: float = 1.0) -> None:
    """Add weighted scores into a running total (a passage's types, a document's industries)."""
    for key, value in scores.items():
        into[key] = into.get(key, 0.0) + weight * value

