"""Lists, pagination, filters, detail views and writes, checked against what is stored."""

from __future__ import annotations

import httpx
from sqlmodel import select

from reservoir.memory.db import session_scope
from reservoir.memory.models import Document, Opportunity, Source


async def test_pagination_is_stable_and_complete(client: httpx.AsyncClient, seeded) -> None:  # type: ignore[no-untyped-def]
    full = (await client.get("/api/v1/opportunities", params={"limit": 500})).json()
    assert full["total"] == 6 and len(full["items"]) == 6 and full["limit"] == 500 and full["offset"] == 0
    ids = [o["id"] for o in full["items"]]
    assert ids == sorted(seeded.opportunity_ids, reverse=True)  # newest first
    pages = []
    for offset in (0, 4, 8):
        page = (await client.get("/api/v1/opportunities", params={"limit": 4, "offset": offset})).json()
        assert page["total"] == 6 and page["limit"] == 4 and page["offset"] == offset
        pages.extend(o["id"] for o in page["items"])
    assert pages == ids
    default = (await client.get("/api/v1/opportunities")).json()
    assert default["limit"] == 50 and default["offset"] == 0


async def test_opportunity_filters(client: httpx.AsyncClient, seeded) -> None:  # type: ignore[no-untyped-def]
    async def total(**params: str) -> int:
        response = await client.get("/api/v1/opportunities", params=params)
        assert response.status_code == 200, response.text
        return response.json()["total"]

    assert await total(type="scheduling") == 2
    assert await total(industry="Accounting") == 3
    assert await total(tool="zapier") == 3
    assert await total(tool="make", industry="real_estate") == 3
    assert await total(status="new") == 6
    assert await total(status="approved") == 0


async def test_opportunity_detail_and_status_change(client: httpx.AsyncClient, seeded, settings) -> None:  # type: ignore[no-untyped-def]
    opp_id = seeded.opportunity_ids[0]
    detail = (await client.get(f"/api/v1/opportunities/{opp_id}")).json()
    assert detail["title"] == "Automate invoice reminders 0"
    assert detail["scores"]["total_score"] == 40 and detail["tools"] == ["Zapier", "Xero"]
    assert detail["first_seen"].endswith("Z")
    (evidence,) = detail["evidence"]
    assert evidence["document_id"] == seeded.document_ids[0]
    assert evidence["url"] == "https://example.com/post-0"
    assert evidence["quote"] == "we chase invoices by hand"
    assert detail["traces"] == {"tools": {"Zapier": None, "Xero": None},
                                "industries": {"accounting": None}}  # no stored sentence names them
    (roi,) = detail["roi"]
    assert roi["profile_name"] == "Acme Accounting" and roi["monthly_net_value"] == 1020.0

    patched = await client.patch(f"/api/v1/opportunities/{opp_id}", json={"status": "approved"})
    assert patched.status_code == 200 and patched.json()["status"] == "approved"
    assert patched.json()["evidence"] == detail["evidence"]
    with session_scope(settings) as session:
        assert session.get(Opportunity, opp_id).status == "approved"
    listed = (await client.get("/api/v1/opportunities", params={"status": "approved"})).json()
    assert [o["id"] for o in listed["items"]] == [opp_id]


async def test_search(client: httpx.AsyncClient, seeded) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/api/v1/opportunities/search", params={"q": "invoice reminders", "limit": 3})
    assert response.status_code == 200, response.text
    page = response.json()
    assert len(page["items"]) == 3 and page["limit"] == 3 and page["offset"] == 0
    assert all("invoice" in o["title"].lower() and o["score"] > 0 for o in page["items"])
    second = (await client.get("/api/v1/opportunities/search",
                               params={"q": "invoice reminders", "limit": 3, "offset": 3})).json()
    assert {o["id"] for o in second["items"]}.isdisjoint(o["id"] for o in page["items"])
    filtered = (await client.get("/api/v1/opportunities/search",
                                 params={"q": "invoice", "type": "scheduling"})).json()
    assert filtered["items"] and all(o["automation_type"] == "scheduling" for o in filtered["items"])
    nothing = (await client.get("/api/v1/opportunities/search", params={"q": "zebra quantum"})).json()
    assert nothing["items"] == [] and nothing["total"] == 0


async def test_documents(client: httpx.AsyncClient, seeded) -> None:  # type: ignore[no-untyped-def]
    page = (await client.get("/api/v1/documents", params={"limit": 2})).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    assert "text" not in page["items"][0] and page["items"][0]["chars"] > 0
    by_source = (await client.get("/api/v1/documents", params={"source_id": seeded.source_id})).json()
    assert by_source["total"] == 3
    doc = (await client.get(f"/api/v1/documents/{seeded.document_ids[1]}")).json()
    assert doc["text"].startswith("Post 1:") and doc["url"] == "https://example.com/post-1"
    assert set(doc) >= {"id", "url", "title", "source_id", "author", "published_at", "fetched_at", "points",
                        "comments", "language", "content_hash", "analysed_at", "chars", "text"}
    assert (doc["change_status"], doc["change_diff"]) == ("new", None) and doc["status_at"]


async def test_sources_create_conflict_and_delete_keeps_documents(client: httpx.AsyncClient, seeded,  # type: ignore[no-untyped-def]
                                                                  settings) -> None:
    created = await client.post("/api/v1/sources", json={
        "name": "hn", "kind": "hackernews", "url": "https://hn.algolia.com/api/v1/search",
        "config": {"limit": 5}})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "hn" and body["config"] == {"limit": 5} and body["active"] is True
    assert created.headers["location"].endswith(f"/sources/{body['id']}")
    assert set(body) == {"id", "name", "kind", "url", "config", "active", "last_fetched_at",
                         "consecutive_failures", "last_error", "backlog"}
    assert body["backlog"] == 0
    again = await client.post("/api/v1/sources", json={"name": "hn", "kind": "rss", "url": "https://x"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "source_exists"
    with session_scope(settings) as session:
        assert session.exec(select(Source).where(Source.name == "hn")).one().kind == "hackernews"

    listed = (await client.get("/api/v1/sources")).json()
    assert {s["name"] for s in listed["items"]} == {"blog", "hn"}
    assert (await client.get("/api/v1/sources/blog")).json()["id"] == seeded.source_id
    assert (await client.get(f"/api/v1/sources/{seeded.source_id}")).json()["name"] == "blog"

    deleted = await client.delete("/api/v1/sources/blog")
    assert deleted.status_code == 204 and deleted.content == b""
    assert (await client.get("/api/v1/sources/blog")).status_code == 404
    with session_scope(settings) as session:
        docs = session.exec(select(Document)).all()
        assert len(docs) == 3 and all(d.source_id is None for d in docs)
    assert (await client.get("/api/v1/documents")).json()["total"] == 3
    assert (await client.get(f"/api/v1/opportunities/{seeded.opportunity_ids[0]}")).json()["evidence"]


async def test_profiles_upsert(client: httpx.AsyncClient, seeded) -> None:  # type: ignore[no-untyped-def]
    body = {"name": "Cafe Uno", "industry": "hospitality", "team_size": 3, "hourly_rate": 25,
            "current_tools": ["Square"], "challenges": ["rota"], "goals": ["fewer no-shows"]}
    first = await client.post("/api/v1/profiles", json=body)
    assert first.status_code == 200, first.text
    updated = await client.post("/api/v1/profiles", json={**body, "team_size": 4})
    assert updated.json()["id"] == first.json()["id"] and updated.json()["team_size"] == 4
    assert set(updated.json()) == {"id", "name", "industry", "team_size", "hourly_rate", "current_tools",
                                   "challenges", "goals", "headcount", "monthly_volumes"}
    facts = await client.post("/api/v1/profiles", json={
        **body, "team_size": 4, "headcount": {"front desk": 1},
        "monthly_volumes": {"appointments": 400}})
    assert facts.json()["headcount"] == {"front desk": 1}
    assert facts.json()["monthly_volumes"] == {"appointments": 400.0}
    for bad in ({"monthly_volumes": {"calls": 3}}, {"headcount": {"front desk": 9}}):
        refused = await client.post("/api/v1/profiles", json={**body, **bad})
        assert refused.status_code == 422, refused.text
    page = (await client.get("/api/v1/profiles")).json()
    assert page["total"] == 3
    assert (await client.get("/api/v1/profiles/Cafe Uno")).json()["team_size"] == 4


async def test_reports(client: httpx.AsyncClient, seeded) -> None:  # type: ignore[no-untyped-def]
    page = (await client.get("/api/v1/reports")).json()
    assert page["total"] == 1 and page["items"][0]["id"] == seeded.report_id
    assert "markdown" not in page["items"][0]
    other = await client.get("/api/v1/reports", params={"profile_id": seeded.profile_ids[1]})
    assert other.json()["total"] == 0
    detail = (await client.get(f"/api/v1/reports/{seeded.report_id}")).json()
    assert detail["markdown"].startswith("# Report")
    assert detail["opportunity_ids"] == seeded.opportunity_ids[:2]
    html = await client.get(f"/api/v1/reports/{seeded.report_id}.html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "<h1>Report</h1>" in html.text
    assert "sandbox" in html.headers["content-security-policy"]  # stored scripts cannot run
    md = await client.get(f"/api/v1/reports/{seeded.report_id}.md")
    assert md.headers["content-type"].startswith("text/markdown") and md.text == "# Report\n\nHello *world*"


async def test_openapi_documents_every_route(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/v1/openapi.json")).json()
    paths = set(spec["paths"])
    for path in ["/api/v1/runs", "/api/v1/runs/{run_id}/events", "/api/v1/runs/{run_id}/approve",
                 "/api/v1/ask", "/v1/chat/completions", "/api/v1/opportunities/search",
                 "/api/v1/opportunities/{opp_id}", "/api/v1/documents/{document_id}", "/api/v1/sources/{ref}",
                 "/api/v1/profiles", "/api/v1/reports/{report_id}.html", "/api/v1/tools",
                 "/api/v1/tools/{name}", "/api/v1/deliveries",
                 "/health", "/ready", "/metrics"]:
        assert path in paths, path
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "/" not in paths and "/login" not in paths
