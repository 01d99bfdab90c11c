"""Prompts are versioned files (`<agent>/<task>.v<N>.md`) with a front-matter header.

The active version of each task is config (`RESERVOIR_PROMPT_VERSIONS='{"analyst.extract": "v2"}'`);
a run records which versions it used. Rendering checks the variables, so a prompt and its
caller cannot drift apart silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROMPT_DIR = Path(__file__).parent
_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_VAR = re.compile(r"\{\{\s*(\w+)\s*\}\}")


class PromptError(ValueError):
    pass


@dataclass(frozen=True)
class Prompt:
    task: str
    version: str
    description: str
    variables: tuple[str, ...]
    system: str
    user: str

    @property
    def ref(self) -> str:
        return f"{self.task}={self.version}"

    def render(self, **values: str) -> tuple[str, str]:
        missing = set(self.variables) - set(values)
        extra = set(values) - set(self.variables)
        if missing or extra:
            raise PromptError(f"prompt {self.ref}: missing {sorted(missing)}, unexpected {sorted(extra)}")

        def fill(text: str) -> str:
            return _VAR.sub(lambda m: str(values[m.group(1)]), text)

        return fill(self.system), fill(self.user)


def _parse_header(text: str, path: Path) -> tuple[dict[str, str], str]:
    match = _FRONT.match(text)
    if not match:
        raise PromptError(f"{path}: missing front-matter header")
    header: dict[str, str] = {}
    for line in match.group(1).splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            header[key.strip()] = value.strip()
    return header, text[match.end():]


@lru_cache(maxsize=64)
def load_prompt(task: str, version: str) -> Prompt:
    agent, _, name = task.partition(".")
    path = PROMPT_DIR / agent / f"{name}.{version}.md"
    if not path.exists():
        raise PromptError(f"no prompt {task}={version} (looked for {path})")
    header, body = _parse_header(path.read_text(encoding="utf-8"), path)
    system, sep, user = body.partition("\n=== user ===\n")
    if not sep:
        raise PromptError(f"{path}: needs a '=== user ===' line between system and user parts")
    system = system.replace("=== system ===\n", "", 1)
    declared = tuple(v.strip() for v in header.get("variables", "").split(",") if v.strip())
    used = set(_VAR.findall(system + user))
    if used != set(declared):
        raise PromptError(f"{path}: declares {sorted(declared)} but uses {sorted(used)}")
    return Prompt(task=task, version=header.get("version", version),
                  description=header.get("description", ""), variables=declared,
                  system=system.strip(), user=user.strip())


def available_versions(task: str) -> list[str]:
    agent, _, name = task.partition(".")
    return sorted(p.name[len(name) + 1:-3] for p in (PROMPT_DIR / agent).glob(f"{name}.v*.md"))


DEFAULT_VERSIONS = {"analyst.extract": "v1", "analyst.critic": "v1", "writer.summary": "v1",
                    "ask.answer": "v2", "ask.rewrite": "v1", "roi.inputs": "v1",
                    "scout.queries": "v1"}


def active_prompt(task: str, overrides: dict[str, str] | None = None) -> Prompt:
    version = (overrides or {}).get(task) or DEFAULT_VERSIONS.get(task, "v1")
    return load_prompt(task, version)
