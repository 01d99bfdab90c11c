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


def _points(svg: str) -> dict[str, dict[int, tuple[float, float]]]:
    """Per panel, each point's (projected, actual) read back from its pixel position."""
    from xml.etree import ElementTree

    ns = {"s": "http://www.w3.org/2000/svg"}
    out: dict[str, dict[int, tuple[float, float]]] = {}
    for panel in ElementTree.fromstring(svg).findall("s:g[@class='panel']", ns):
        low, high = float(panel.get("data-min")), float(panel.get("data-max"))  # type: ignore[arg-type]
        x0, y0 = float(panel.get("data-x0")), float(panel.get("data-y0"))  # type: ignore[arg-type]
        size = float(panel.get("data-size"))  # type: ignore[arg-type]
        per_px = (high - low) / size
        points = {}
        for point in panel.findall("s:g[@class='point']", ns):
            circle = point.find("s:circle", ns)
            cx, cy = float(circle.get("cx")), float(circle.get("cy"))  # type: ignore[union-attr,arg-type]
            points[int(point.get("data-n"))] = (low + (cx - x0) * per_px,  # type: ignore[arg-type]
                                                low + (y0 + size - cy) * per_px)
        out[panel.get("data-quantity")] = points  # type: ignore[index]
    return out


async def test_the_tracking_view_plots_each_implementation(client: httpx.AsyncClient, settings,  # type: ignore[no-untyped-def]
                                                           seeded) -> None:
    """Two implementations: each is a point at (projected, measured) in both panels, the
    table has the same figures, and the calibration state counts them per type."""
    from reservoir.agents.roi import WEEKS_PER_MONTH
    from reservoir.memory.db import session_scope
    from reservoir.memory.models import RoiEstimate

    first, second = seeded.opportunity_ids[:2]
    with session_scope(settings) as session:
        session.add(RoiEstimate(opportunity_id=second, profile_id=seeded.profile_ids[0],
                                hours_saved_week=5.0, hourly_value=80.0, setup_hours=8.0,
                                tool_cost_month=30.0, monthly_net_value=1702.0, confidence=0.6,
                                assumptions="5 h/week", method="roi-v2"))
    base = "/api/v1/profiles/Acme Accounting"
    for opp, actuals in ((first, {"actual_hours_saved_week": 2, "actual_tool_cost_month": 15}),
                         (second, {"actual_hours_saved_week": 6, "actual_setup_hours": 10})):
        assert (await client.put(f"{base}/implementations/{opp}",
                                 json={"status": "bookmarked"})).status_code == 200
        done = await client.put(f"{base}/implementations/{opp}",
                                json={"status": "implemented", **actuals})
        assert done.status_code == 200, done.text

    response = await client.get(f"{base}/tracking")
    assert response.status_code == 200, response.text
    view = response.json()
    rows = {r["opportunity_id"]: r for r in view["rows"]}
    value_1 = 2 * WEEKS_PER_MONTH * 80 - 15          # measured tools
    value_2 = 6 * WEEKS_PER_MONTH * 80 - 30          # tools not recorded: the estimate's
    assert (rows[first]["projected"], rows[first]["actual"]) == (3.0, 2.0)
    assert (rows[second]["projected"], rows[second]["actual"]) == (5.0, 6.0)
    assert rows[first]["actual_value"] == round(value_1, 2)
    assert rows[second]["actual_value"] == round(value_2, 2)
    assert "not recorded" in rows[second]["value_note"]

    plotted = _points(view["svg"])
    expected = {"hours": {rows[first]["n"]: (3.0, 2.0), rows[second]["n"]: (5.0, 6.0)},
                "value": {rows[first]["n"]: (1020.0, value_1),
                          rows[second]["n"]: (1702.0, value_2)}}
    assert set(plotted) == {"hours", "value"}
    for quantity, points in expected.items():
        assert set(plotted[quantity]) == set(points)
        for n, (projected, actual) in points.items():
            got = plotted[quantity][n]
            tolerance = 0.01 * max(projected, actual)   # a tenth of a pixel, rounded
            assert abs(got[0] - projected) <= tolerance and abs(got[1] - actual) <= tolerance, \
                (quantity, n, got)

    calibration = {c["automation_type"]: c for c in view["calibration"]}
    assert calibration["lead_generation"]["hours_actuals"] == 1
    assert calibration["scheduling"]["setup_actuals"] == 1
    assert calibration["scheduling"]["measured_weight"] == round(1 / (view["calibration_prior"] + 1), 3)
    assert (await client.get("/api/v1/profiles/Bright Realty/tracking")).json()["rows"] == []
    assert (await client.get("/api/v1/profiles/Nobody/tracking")).status_code == 404


async def test_the_tracking_page_is_a_shell(client: httpx.AsyncClient) -> None:
    """The page carries no data (the API does, behind the key): a select, the plot's place."""
    page = await client.get("/tracking", headers={"Authorization": ""})
    assert page.status_code == 200
    assert 'id="tracking-plot"' in page.text and 'href="/tracking"' in page.text
    assert "<svg" not in page.text.split("<main", 1)[1]
