"""A scripted stand-in for a remote model that answers from the document in the prompt.

It runs the deterministic strategies on the delimited document and answers in the model's
JSON shape, so the LLM path (prompting, parsing, validation, grounding, merging) is exercised
end to end — offline, with a settable latency for benchmarks. It is what
`RESERVOIR_LLM_PROVIDER=fake` selects; it is never the default.
"""

from __future__ import annotations

import json
import re

from langchain_core.messages import BaseMessage

_DOC = re.compile(r"<document>\n?(.*?)\n?</document>", re.S)
_TITLE = re.compile(r"^Title: (.*)$", re.M)


def extractive_responder(messages: list[BaseMessage]) -> str:
    from reservoir.agents.analyst import DocView, extractive_findings

    prompt = "\n".join(str(m.content) for m in messages)
    match = _DOC.search(prompt)
    if not match:
        return json.dumps({"answer": "I can only answer from the reservoir's documents."})
    title = _TITLE.search(prompt)
    doc = DocView(id=0, url="", title=title.group(1) if title else "", text=match.group(1))
    findings = extractive_findings(doc)
    return json.dumps({"opportunities": [f.model_dump() for f in findings]})
