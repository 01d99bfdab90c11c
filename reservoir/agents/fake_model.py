"""A scripted stand-in for a remote model that answers from the document in the prompt.

It runs the deterministic strategies on the delimited document and answers in the model's
JSON shape, so the LLM path (prompting, parsing, validation, grounding, merging) is exercised
end to end — offline, with a settable latency for benchmarks. It is what
`RESERVOIR_LLM_PROVIDER=fake` selects; it is never the default.
"""

from __future__ import annotations

import json
import re

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from reservoir.config import Settings
from reservoir.llm import register_chat_provider
from reservoir.scripted_model import ScriptedChatModel

_DOC = re.compile(r"<document>\n?(.*?)\n?</document>", re.S)
_TITLE = re.compile(r"^Title: (.*)$", re.M)
_FACT = re.compile(r"^- (.+?): (.+)$", re.M)
_CITED = re.compile(r"^\[(\d+)\] (.+?) \(", re.M)
_PREVIOUS = re.compile(r"<previous>(.*?)</previous>", re.S)
_FOLLOWUP = re.compile(r"<followup>(.*?)</followup>", re.S)


def extractive_responder(messages: list[BaseMessage]) -> str:
    from reservoir.agents.analyst import DocView, extractive_findings

    prompt = "\n".join(str(m.content) for m in messages)
    match = _DOC.search(str(messages[-1].content))  # the system part names the tags too
    if not match:
        return _prose_reply(prompt)
    title = _TITLE.search(prompt)
    doc = DocView(id=0, url="", title=title.group(1) if title else "", text=match.group(1))
    findings = extractive_findings(doc)
    return json.dumps({"opportunities": [f.model_dump() for f in findings]})


def _prose_reply(prompt: str) -> str:
    """Summaries and answers made only of what the prompt gave: the fake never invents."""
    previous, followup = _PREVIOUS.search(prompt), _FOLLOWUP.search(prompt)
    if previous and followup:  # ask.rewrite: the deterministic rewrite, as the extraction does
        from reservoir.agents.followup import rewrite

        return rewrite(followup.group(1), {"query": previous.group(1), "applied": {}}).query
    if "Facts (ranked):" in prompt:
        facts = _FACT.findall(prompt.split("Facts (ranked):", 1)[1])[:3]
        return " ".join(f"{title}: {detail}." for title, detail in facts) or "No facts were given."
    cited = _CITED.findall(prompt.split("<context>", 1)[-1])
    if cited:
        return "The reservoir holds: " + "; ".join(f"{title} [{n}]" for n, title in cited[:3]) + "."
    return "The reservoir holds nothing relevant to this question yet."


def fake_chat_model(settings: Settings, role: str) -> BaseChatModel:
    """The `fake` provider: the scripted model answering with the deterministic strategies."""
    return ScriptedChatModel(responder=extractive_responder, latency=settings.llm_fake_latency,
                             model_name=f"fake-{role}")


register_chat_provider("fake", fake_chat_model)
