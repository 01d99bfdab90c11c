"""Implementation tracking over the API: PUT moves one opportunity, GET lists a profile's."""

from __future__ import annotations

import httpx


async def test_track_through_the_api(client: httpx.AsyncClient, seeded) -> None:  # type: ignore[no-untyped-def]
    opp = seeded.opportunity_ids[0]
    url = f"/api/v1/profiles/Acme Accounting/implementations/{opp}"
    first = await client.put(url, json={"status": "bookmarked"})
    assert first.status_code == 200, first.text
    assert first.json()["projected_monthly_value"] == 1020.0  # the projection when tracked
    done = await client.put(url, json={"status": "implemented", "actual_hours_saved_week": 2,
                                       "actual_tool_cost_month": 15, "notes": "works"})
    assert done.status_code == 200 and done.json()["implemented_at"]
    assert done.json()["actual_hours_saved_week"] == 2.0 and done.json()["notes"] == "works"
    page = (await client.get(f"/api/v1/profiles/{seeded.profile_ids[0]}/implementations")).json()
    assert page["total"] == 1 and page["items"][0]["title"] == "Automate invoice reminders 0"
    other = (await client.get("/api/v1/profiles/Bright Realty/implementations")).json()
    assert other["total"] == 0


async def test_bad_tracking_is_a_clear_error(client: httpx.AsyncClient, seeded) -> None:  # type: ignore[no-untyped-def]
    opp = seeded.opportunity_ids[0]
    base = "/api/v1/profiles/Acme Accounting/implementations"
    for body, status in (({"status": "shipped"}, 422), ({"actual_setup_hours": -1}, 422),
                         ({"status": "in_progress", "actual_hours_saved_week": 3}, 422),
                         ({"bogus": 1}, 422)):
        response = await client.put(f"{base}/{opp}", json=body)
        assert response.status_code == status, (body, response.text)
    assert (await client.put(f"{base}/999999", json={"status": "bookmarked"})).status_code == 404
    missing = await client.put(f"/api/v1/profiles/Nobody/implementations/{opp}",
                               json={"status": "bookmarked"})
    assert missing.status_code == 404 and "profile" in missing.text
    await client.put(f"{base}/{opp}", json={"status": "abandoned"})
    refused = await client.put(f"{base}/{opp}", json={"status": "implemented"})
    assert refused.status_code == 422 and "cannot go from abandoned" in refused.text
