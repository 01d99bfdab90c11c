"""Evidence that reads as evidence: prose sentences, not markup, setup steps or slogans.

A quote stored as evidence of an automation must say what an automation does. Pages also
hold Markdown markers ("### ", "> ", "* ", "**(Recommended)**"), setup instructions ("Click
Save", "Set a secret on that credential"), command lines and calls to action ("Sign up
free"): none of these is evidence. ``prose_quote`` returns the sentence with its leading
markers cut off — still a verbatim substring of the sentence, so of the document — or None
when what is left is not a prose statement. The rules are general (imperative UI verbs,
code, markup), never phrases of one page.
"""

from __future__ import annotations

import re

# Leading markup, repeated: headings, quotes, bullets, numbers, bold or italic labels
# ("**(Recommended)**", "*Note:*", "**Step 2.**") and their trailing punctuation.
_LEAD = re.compile(
    r"^(?:\s*(?:#{1,6}(?=\s)|>+|[-*+•·▪]+(?=\s)|\d{1,2}[.)](?=\s))"
    r"|\s*(?:\*{1,2}|_{1,2})\(?[^*_\n]{1,40}?\)?[:.]?(?:\*{1,2}|_{1,2})[:.]?(?=\s)"
    r"|\s*\([^)\n]{1,30}\)(?=\s))+\s*")
# Markup left inside a sentence: emphasis, inline code, links, table cells, HTML tags.
_INNER_MARKUP = re.compile(r"\*\*|__|`|\]\(|^\||\|\s*$|</?[a-z][^>]*>", re.I)
# Verbs that only ever address the reader of a manual, at the start of a sentence.
_UI_VERB = (r"click|tap|press|select|choose|open|go to|navigate to|log ?in(?: to)?|sign ?in"
            r"|enter|type|paste|copy|install|run|enable|disable|toggle|drag|scroll|set|add"
            r"|create|configure|make sure|ensure|replace|download|save|fill in|authenticate"
            r"|generate|grant|insert|edit|change|rename|paste|check|uncheck|expand|hover"
            r"|specify|provide|use|connect|update|define|map|store|give")
_LEAD_IN = (r"(?:(?:first|then|next|now|finally|optionally|also|afterwards|lastly),?\s+)?"
            r"(?:please,?\s+)?")
_IMPERATIVE = re.compile(rf"^{_LEAD_IN}(?:{_UI_VERB})\b", re.I)
# A sentence in the imperative is a setup step when it speaks of the interface or of setup.
_UI_NOUN = re.compile(
    r"\b(?:button|tab|menu|dropdown|drop-down|field|checkbox|toggle|icon|panel|sidebar|dialog"
    r"|modal|screen|page|settings?|credentials?|secret|token|api key|password|node|template"
    r"|workflow|parameter|option|url|endpoint|webhook|environment variable|\.env|field"
    r"|column|sheet|account|app|plugin|extension|integration|permission|scope"
    r"|instructions?)s?\b", re.I)
_ALWAYS_UI = re.compile(rf"^{_LEAD_IN}(?:click|tap|press|navigate to|go to|log ?in|sign ?in"
                        r"|paste|install|run|scroll|hover|drag|toggle|uncheck)\b", re.I)
_CALL_TO_ACTION = re.compile(
    r"^(?:sign ?up|subscribe|register|join (?:us|now|our|the)|book (?:a|your) (?:demo|call)"
    r"|get started|start (?:your |a )?free|try (?:it|us|\w+) (?:for )?free|contact us|learn more"
    r"|read more|click here|follow us|share this|download (?:the|our|your)|request a demo"
    r"|schedule a demo|get (?:your|a) free|don't miss|buy now|order now)\b"
    r"|\b(?:sign up (?:now|today|for free|free)|subscribe (?:now|today|to our)"
    r"|start your free trial|no credit card required"
    r"|(?:please )?contact (?:our|the) (?:support|sales|customer)?\s*(?:team|staff|desk))\b", re.I)
# The line that introduces a list ("The connector supports the following operations:").
_LIST_INTRO = re.compile(r"\b(?:following|below|these|as follows)(?:\s+\w+){0,2}\s*:$", re.I)
# What a reader must have before starting: a prerequisite, not what the automation does.
_PREREQUISITE = re.compile(
    r"^(?:(?:for|to|before)\b[^,]{0,60},\s+)?(?:you(?:'ll| will)?\s+(?:only\s+|also\s+|first\s+)?"
    r"(?:need|must\s+(?:have|be|first))\b"
    r"|(?:an?|the|your)\s+[\w\s-]{0,40}?\b(?:account|licen[cs]e|subscription|key|token)"
    r"\s+(?:is|are)\s+required\b)", re.I)
# Command lines and code: shell prompts, package managers, assignments, brackets, calls.
_CODE = re.compile(
    r"^\s*(?:\$|>>>|#!|npm|npx|pip3?|yarn|pnpm|curl|wget|git|docker|kubectl|brew|apt(?:-get)?"
    r"|sudo|cd|export|python3?|node)\s"
    r"|[{}]\s*$|=>|\(\)|\w+\([^)]*\)\s*;|\b\w+\s*=\s*['\"\d{\[]|\{\{|\}\}", re.I)
MIN_WORDS = 5


def strip_markers(sentence: str) -> str:
    """The sentence without leading Markdown markers: a suffix of it, so still verbatim."""
    match = _LEAD.match(sentence)
    return sentence[match.end():] if match else sentence


def unmarked(sentence: str) -> str:
    """The sentence without leading markers when enough is left to quote, else as it is."""
    rest = strip_markers(sentence).strip()
    return rest if len(rest) >= 12 else sentence


def is_setup_instruction(sentence: str) -> bool:
    """An imperative addressed to whoever sets something up, not a statement of what runs."""
    text = strip_markers(sentence).strip()
    if _ALWAYS_UI.match(text):
        return True
    return bool(_IMPERATIVE.match(text)) and bool(_UI_NOUN.search(text))


def is_imperative(sentence: str) -> bool:
    """Starts with a verb addressed to the reader ("Use the … node", "Set the topic …")."""
    return bool(_IMPERATIVE.match(strip_markers(sentence).strip()))


def is_call_to_action(sentence: str) -> bool:
    return bool(_CALL_TO_ACTION.search(strip_markers(sentence).strip()))


def is_code(sentence: str) -> bool:
    return bool(_CODE.search(sentence))


_FIELD_LINE = re.compile(r"^\s*[\w-]+(?: [\w-]+){0,3}\s*:\s")


def _is_glued_block(text: str) -> bool:
    """Lines without full stops that the splitter kept together: a heading over an options
    list ("Options / caption: … / disable_notification: …") is a block, not a sentence."""
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) < 2:
        return False
    heading = len(lines[0].split()) <= 3 and not lines[0].rstrip().endswith((".", ",", ";"))
    return heading or any(_FIELD_LINE.match(line) for line in lines[1:])


def prose_quote(sentence: str) -> str | None:
    """The sentence as evidence (leading markers cut off), or None when it is not prose: too
    short, marked up, a list's introduction ("… supports the following operations:"), a
    prerequisite, a setup step, a call to action or code."""
    text = strip_markers(sentence).strip()
    if len(text.split()) < MIN_WORDS or _INNER_MARKUP.search(text) or _LIST_INTRO.search(text):
        return None
    if _PREREQUISITE.match(text) or _is_glued_block(text):
        return None
    if is_setup_instruction(text) or is_call_to_action(text) or is_code(text):
        return None
    return text
