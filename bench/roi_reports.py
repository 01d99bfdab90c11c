"""Check the issue-13 promises on a data dir's reports and ROI estimates (after `reservoir demo`).

    RESERVOIR_DATA_DIR=DIR .venv/bin/python bench/roi_reports.py

Per profile: each of the latest report's top five is from the profile's own industry (as its
sources state) or carries a stated transfer reason; no estimate's hours saved exceed the
profile's capacity (team × 40 h) nor the 25 % team bound; every roi-v2 estimate's assumptions
start with a chain from the quote (or the named default) and state the value step.
Exit 1 when a promise fails.
"""

from __future__ import annotations

import sys

from sqlmodel import select

from reservoir.agents.roi_scale import TEAM_SHARE, capacity
from reservoir.config import load_settings
from reservoir.memory.db import session_scope
from reservoir.memory.models import BusinessProfile, Report, RoiEstimate


def chained(assumptions: str) -> bool:
    """Hours from a quote through its steps (or a named default), then the value step."""
    hours, _, rest = assumptions.partition("; value: ")
    quoted = hours.startswith("hours saved: source: “") and "” → " in hours
    default = hours.startswith("hours saved: ") and "no source states it" in hours
    return bool(rest) and (quoted or default) and " × " in rest and "/month net" in rest


def check_profile(session: object, profile: BusinessProfile) -> list[str]:
    """The failed promises of one profile, as lines."""
    failures = []
    report = session.exec(select(Report).where(Report.profile_id == profile.id)  # type: ignore[attr-defined]
                          .order_by(Report.created_at.desc())).first()  # type: ignore[attr-defined]
    estimates = {r.opportunity_id: r for r in session.exec(  # type: ignore[attr-defined]
        select(RoiEstimate).where(RoiEstimate.profile_id == profile.id)).all()}
    for rank, opp_id in enumerate((report.opportunity_ids if report else [])[:5], 1):
        reasons = estimates[opp_id].fit_reasons or []
        industry = reasons[0] if reasons else ""
        own = industry.startswith(f"seen in {profile.industry.replace('_', ' ')} businesses")
        transfer = "; applies wherever " in industry
        print(f"  #{rank} opp {opp_id}: {industry}")
        if not (own or transfer):
            failures.append(f"#{rank} (opp {opp_id}) neither own industry nor a stated transfer")
    bound = TEAM_SHARE * capacity(profile)
    for roi in estimates.values():
        if roi.hours_saved_week > capacity(profile) or roi.hours_saved_week > bound + 1e-9:
            failures.append(f"opp {roi.opportunity_id}: {roi.hours_saved_week} h/week > bound")
        if roi.method == "roi-v2" and not chained(roi.assumptions):
            failures.append(f"opp {roi.opportunity_id}: assumptions are not a chain")
    top = max((r.hours_saved_week for r in estimates.values()), default=0)
    print(f"  {len(estimates)} estimates, most hours saved {top:g} h/week; capacity "
          f"{capacity(profile):g}, bound {bound:g}")
    return failures


def main() -> int:
    failures = []
    with session_scope(load_settings()) as session:
        for profile in session.exec(select(BusinessProfile).order_by(BusinessProfile.id)).all():
            print(f"{profile.name} ({profile.industry}, team of {profile.team_size})")
            failures += [f"{profile.name}: {f}" for f in check_profile(session, profile)]
    print("\n".join(failures) if failures else "all promises hold")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
