"""`jixiao seed --demo`: accounts, about 400 projects, and real instances driven through the command path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from service import clock, db
from service.cycle import projects_records
from service.demo import fiscal_figures_demo, people_demo
from service.demo.progress import Progress
from service.demo.projects_demo import DemoProject, continued, generate, key_subjects, whole_department
from service.domain.roles import ROLES
from service.errors import InvalidInput
from service.models import Department, ProcessDefinition, Project
from service.runtime import Runtime

Echo = Callable[[str], None]


def build_demo(rt: Runtime, root: Path, echo: Echo = print, per_year: int | None = None,
               progress: Progress | None = None, processes: int = 1) -> None:
    """Create the demo municipality once; a second run only prints the accounts.

    `per_year` limits the projects of each fiscal year (all ≈ 144 by default; tests take fewer); `progress` shows
    how far the build is (a bar on the console, a file the pages read); `processes` drive parts of it side by side.
    """
    made = people_demo.create_accounts(rt.engine, people_demo.accounts(rt.engine, root / "seeds" / "demo_people.json"),
                                  clock.now())
    echo(f"demo accounts: {made} new")
    with db.read(rt.engine) as conn:
        have_projects = conn.execute(select(func.count()).select_from(Project)).scalar_one() > 0
    if not have_projects:
        from service.demo.demo_driver import drive

        _require_processes(rt)
        year = current_year()
        cohorts = _create_projects(rt, per_year)
        started = clock.now()  # the demo's now (the driver hands the clock back to real time when done)
        drive(rt, cohorts, echo, progress, processes)
        from service.demo.inspections_demo import seed_inspections

        seed_inspections(rt, echo)
        from service.demo import reports_training

        reports_training.add(rt, echo, clock.to_local(started).year - 1, started)
        from service.demo.levels import show_levels

        show_levels(rt, clock.now())
        echo(f"demo fiscal figures: {fiscal_figures_demo.enter(rt.engine, year, clock.now())} entered")
        from service.demo.subunit_evaluations_demo import seed_subunit_evaluation

        echo(f"demo sub-unit evaluations: {seed_subunit_evaluation(rt.engine, year, clock.now())} opened")
    _print_accounts(rt, echo)


def current_year() -> int:
    """The fiscal year running now (the demo's cohorts are placed around it)."""
    return clock.to_local(clock.now()).year


def _require_processes(rt: Runtime) -> None:
    from service.cycle.cycle_launch import CYCLE_PROCESS, PILOT_PROCESS

    with db.read(rt.engine) as conn:
        have = set(conn.execute(select(ProcessDefinition.process_id)).scalars())
    missing = {CYCLE_PROCESS, PILOT_PROCESS} - have
    if missing:
        raise InvalidInput(f"deploy the workflows first (jixiao deploy workflows): {', '.join(sorted(missing))} "
                           "not deployed")


def _create_projects(rt: Runtime, per_year: int | None) -> dict[int, list[str]]:
    year = current_year()
    with db.read(rt.engine) as conn:
        depts = [dict(r._mapping) for r in conn.execute(
            select(Department.id, Department.name, Department.level, Department.sector)
            .where(Department.kind == "department", Department.parent_id.is_(None)).order_by(Department.id))]
    per_dept = {d["id"]: (3 if d["level"] == "municipal" else 2) for d in depts}
    municipal = [d for d in depts if d["level"] == "municipal"]
    cohorts: dict[int, list[str]] = {}
    made: dict[int, list[DemoProject]] = {}
    with db.write(rt.engine) as conn:
        for fy in (year - 1, year, year + 1):
            items = generate(depts, [fy], per_dept, seed=fy)
            pilots = whole_department(municipal, fy, 0.1)
            if per_year is not None:  # a small demo keeps the spread of departments and one pilot
                items = items[::max(1, len(items) // per_year)][:per_year - 1]
                pilots = pilots[:1]
            if fy == year + 1:
                items = continued(made[year - 1], items)
            items += pilots
            if fy == year - 1:  # a transfer's, an enterprise's and a district project's key evaluations
                items += key_subjects(depts, fy)
            for p in items:
                projects_records.create(conn, clock.now(), id=p.id, fiscal_year=p.fiscal_year,
                                     department_id=p.department_id, name=p.name, sector=p.sector, amount=p.amount,
                                     kind=p.kind, is_key=p.is_key, predecessor_id=p.predecessor_id)
            made[fy] = items
            cohorts[fy] = [p.id for p in items]
    return cohorts


def _print_accounts(rt: Runtime, echo: Echo) -> None:
    """One sign-in per role: an account with work it can do now."""
    from service.demo.signins import choose

    echo(f"\nSign in at /login — every demo account's password is {people_demo.DEMO_PASSWORD!r}. One account per role, "
         "with its open work:")
    for s in choose(rt.engine):
        where = f"work in {s.page}" if s.page != "/inbox" else f"{s.actionable} task(s) to act on in /inbox" \
            if s.actionable else "no open work in /inbox right now"
        echo(f"  {s.role:<18} {ROLES[s.role][0]:<10} {s.username:<16} {s.display_name}"
             f"{'（' + s.department + '）' if s.department and s.department not in s.display_name else ''}"
             f" — {where}")
    echo("  (every department has <id>.staff and <id>.head, e.g. jyj.staff / jyj.head for 市教育局)")
    from service.demo.signins import district

    for s in district(rt.engine):
        work = f"{s.actionable} task(s) of the district's departments to act on in /inbox" \
            if s.page == "/inbox" else f"work in {s.page}"
        echo(f"  district: {s.role:<18} {ROLES[s.role][0]:<10} {s.username:<16} {s.display_name} — {work}; "
             f"{s.proposed} district indicator(s) awaiting confirmation")
