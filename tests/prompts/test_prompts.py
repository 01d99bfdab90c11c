import pytest

from reservoir.prompts import DEFAULT_VERSIONS, PromptError, active_prompt, available_versions, load_prompt


def test_every_default_prompt_loads_and_declares_its_variables() -> None:
    for task in ("analyst.extract", "writer.summary"):
        prompt = active_prompt(task)
        assert prompt.version == DEFAULT_VERSIONS[task]
        assert prompt.variables


def test_render_checks_variables() -> None:
    prompt = load_prompt("analyst.extract", "v1")
    system, user = prompt.render(title="T", url="u", document="DOC", types="a, b")
    assert "<document>\nDOC\n</document>" in user and "a, b" in system
    with pytest.raises(PromptError, match="missing"):
        prompt.render(title="T")
    with pytest.raises(PromptError, match="unexpected"):
        prompt.render(title="T", url="u", document="d", types="t", extra="x")


def test_versions_and_overrides() -> None:
    assert {"v1", "v2"} <= set(available_versions("analyst.extract"))
    assert active_prompt("analyst.extract", {"analyst.extract": "v2"}).version == "v2"
    with pytest.raises(PromptError, match="no prompt"):
        load_prompt("analyst.extract", "v99")
