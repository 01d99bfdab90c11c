"""The tools route: usage counts per tool, industries, catalogue data, unknown names."""

from __future__ import annotations

import httpx


async def test_tools_list_counts_opportunities_and_industries(client: httpx.AsyncClient, seeded) -> None:  # type: ignore[no-untyped-def]
    page = (await client.get("/api/v1/tools")).json()
    by_name = {t["name"]: t for t in page["items"]}
    assert page["total"] == 3 and set(by_name) == {"Zapier", "Xero", "Make"}
    assert by_name["Zapier"]["opportunities"] == 3
    assert by_name["Zapier"]["industries"] == {"accounting": 3}
    assert by_name["Make"]["category"] == "workflow" and "Integromat" in by_name["Make"]["aliases"]
    workflow = (await client.get("/api/v1/tools", params={"category": "workflow"})).json()
    assert {t["name"] for t in workflow["items"]} == {"Zapier", "Make"}
    first = (await client.get("/api/v1/tools", params={"limit": 1})).json()
    assert first["total"] == 3 and len(first["items"]) == 1


async def test_tool_detail_by_alias_and_missing(client: httpx.AsyncClient, seeded) -> None:  # type: ignore[no-untyped-def]
    make = (await client.get("/api/v1/tools/integromat")).json()
    assert make["name"] == "Make" and len(make["opportunity_ids"]) == 3
    assert set(make["opportunity_ids"]) <= set(seeded.opportunity_ids)
    unused = (await client.get("/api/v1/tools/Calendly")).json()
    assert unused["opportunities"] == 0 and unused["in_catalogue"] is True
    assert (await client.get("/api/v1/tools/no-such-tool-here")).status_code == 404


async def test_tools_catalogue_browse(client: httpx.AsyncClient) -> None:
    page = (await client.get("/api/v1/tools", params={"catalogue": "true", "limit": 5})).json()
    assert page["total"] > 3000 and len(page["items"]) == 5
    found = (await client.get("/api/v1/tools", params={"catalogue": "true", "contains": "integromat",
                                                       "category": "workflow"})).json()
    assert [t["name"] for t in found["items"]] == ["Make"] and found["items"][0]["opportunities"] == 0
