"""Real data for the generated API calls of test_openapi.py, and a tally of what those calls reached.

`seed` fills an empty database with one object of every kind a path or query parameter names — instances
in several states and departments, their tasks, evidence, escalations (one that may be dismissed), an incident,
library entries — and returns their ids by parameter name (KNOWN), which the `flatmap_case` hook mixes into the
generated requests. `Tally` counts the answers per role, operation and status, and separately the answers to calls
that carried a real id in the path: an operation whose calls with real ids only ever answer 404 (or refuse the
input before looking anything up: 400, 422) did not reach what it is about.

The people tables live for the whole test session (tests/conftest.py); generated calls made as an
administrator change them (departments, users, roles), so `people_snapshot`/`restore_people` put them back.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select, text, update

from service import clock, db
from service.bpm.commands import AttachFile, CompleteTask, Suspend
from service.models import Base
from service.queries import tasks_queries
from service.rules import store
from tests.conftest import _wipe, principal
from workers.nightly_verify import nightly_verify
from workers.runner import run_once

PDF = b"%PDF-1.4\n% evidence\n" + b"0" * 64 + b"\n%%EOF\n"
_PEOPLE = ("departments", "users", "user_roles", "api_tokens")


def _tasks(runtime: Any, instance_id: str) -> list[dict[str, Any]]:
    with runtime.reading() as conn:
        found = tasks_queries.list_tasks(conn, page=1, per_page=50, now=clock.now(), instance_id=instance_id)
    return list(found["items"])


def seed(app: Any, runtime: Any, deploy_fixture: Any, tokens: dict[str, str]) -> dict[str, list[str]]:
    """An empty database, then real objects of every kind; their ids and values by parameter name."""
    _wipe(runtime)
    deploy_fixture("simple.bpmn", "escalation.bpmn", "escalation_noted.bpmn", "external.bpmn")
    wf = runtime.workflows
    staff_a = principal("staff_a")

    def start(department: str, amount: int, key: str | None = None) -> str:
        return str(wf.start("simple", {"amount": amount}, key, department_id=department)["id"])

    # dept-a: two running, one suspended, one completed; one running in dept-b and one in the bureau, so that
    # each role sees some instances and not others.
    running = [start("dept-a", 1, "bk-running"), start("dept-a", 2)]
    suspended = start("dept-a", 4, "bk-suspended")
    wf.apply(suspended, Suspend(reason="seeded"))
    done = start("dept-a", 5, "bk-done")
    other, bureau = start("dept-b", 6), start("bureau", 7)
    tasks = {iid: _tasks(runtime, iid)[0]["id"] for iid in (*running, suspended, done, other, bureau)}
    wf.apply(done, CompleteTask(tasks[done], {"answer": "好", "score": 90}))

    # Evidence: staff_a's upload to a dept-a task (staff_a may withdraw it), and one to the bureau's task.
    attachments = [wf.apply_to_task(tasks[running[0]], AttachFile(tasks[running[0]], PDF, "证明.pdf"), actor=staff_a)["id"],
                   wf.apply_to_task(tasks[bureau], AttachFile(tasks[bureau], PDF, "bureau.pdf"))["id"]]

    # A slip noted without a supervisor task opens the one kind of escalation that may be dismissed (and is first
    # among the escalation ids: the generated calls' simplest case takes the first).
    noted = str(wf.start("escalation_noted", {}, department_id="dept-a")["id"])
    [slip] = _tasks(runtime, noted)
    wf.apply(noted, CompleteTask(slip["id"], {}))
    # A red warning opens an escalation (its supervisor task is a task too), in dept-a and in the bureau.
    warned, escalation_tasks = [], []
    for department in ("dept-a", "bureau"):
        warned.append(str(wf.start("escalation", {}, department_id=department)["id"]))
        [report] = _tasks(runtime, warned[-1])
        wf.apply(warned[-1], CompleteTask(report["id"], {"warning": "red"}))
        escalation_tasks += [t["id"] for t in _tasks(runtime, warned[-1])]

    # An external task without a handler runs out of retries: an incident (later passes, no clock change).
    external = str(wf.start("external", {"amount": 1}, department_id="dept-a")["id"])
    for hour in range(runtime.settings.job_retries + 2):
        run_once(runtime, "openapi-seed", now=clock.now() + timedelta(hours=hour))

    admin = app.test_client()
    admin.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {tokens['admin']}"
    expert = admin.post("/api/libraries/experts", json={"name": "王专家", "employer": "武汉大学"}).get_json()
    agency = admin.post("/api/libraries/agencies", json={"name": "评价所", "kind": "accounting"}).get_json()
    staff = app.test_client()
    staff.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {tokens['staff_a']}"
    indicator = staff.post("/api/libraries/indicators", json={"name": "受益学生数", "category": "quantity"}).get_json()
    session = admin.post("/api/trainings", json={"level": "municipal", "title": "绩效管理专题培训班",
                                                 "held_on": "2014-06-18", "organiser": "市财政局"}).get_json()
    with runtime.engine.connect() as conn:
        escalations = [str(n) for n in conn.execute(text("SELECT id FROM escalations ORDER BY id")).scalars()]
        incidents = [str(n) for n in conn.execute(text("SELECT id FROM jobs WHERE status = 'failed'")).scalars()]
    assert escalations and incidents and "id" in expert and "id" in agency and "code" in indicator \
        and "id" in session, (escalations, incidents, expert, agency, indicator, session)
    with db.write(runtime.engine) as conn:  # its due date is counted by the rule
        store.set_rule(conn, 2015, "municipal", "evaluation.subunit_working_days", 40, "local practice (test)",
                       "openapi-seed", clock.now())
    subunit = staff.post("/api/subunit-evaluations", json={"unit_id": "dept-a-unit", "fiscal_year": 2015,
                                                            "scope": "直属学校2015年度整体支出"}).get_json()
    assert "id" in subunit, subunit
    figures = admin.put("/api/fiscal-figures/2015/municipal", json={
        "public_spending": 30_000_000_000, "livelihood_spending": 20_000_000_000, "source": "2015年市级财政决算"})
    assert figures.status_code == 200, figures.get_json()
    dismissable = admin.get(f"/api/escalations/{escalations[0]}").get_json()
    assert dismissable["instance_id"] == noted and dismissable["task_id"] is None, dismissable
    night = nightly_verify(runtime, clock.now())  # the night's verification of all the above
    assert night.run_id is not None, night

    return {
        "process_id": ["simple", "escalation"], "instance_id": [*running, suspended, done, other, bureau, *warned,
                                                                external, noted],
        "task_id": [*tasks.values(), *escalation_tasks], "attachment_id": attachments,
        "escalation_id": escalations, "job_id": incidents, "expert_id": [str(expert["id"])],
        "agency_id": [str(agency["id"])], "code": [indicator["code"]], "session_id": [str(session["id"])], "evaluation_id": [str(subunit["id"])],
        "run_id": [night.run_id],
        "department_id": ["dept-a", "dept-b", "bureau", "district-1"], "username": ["staff_b", "head_a"],
        "business_key": ["bk-running", "bk-done"], "candidate_group": ["department_staff", "supervisor"],
        "status": ["running", "suspended", "completed"], "state": ["ready", "completed", "open", "active"],
        "day": ["2015-10-01"], "year": ["2015"], "level": ["municipal"],
    }


# Path parameters whose objects the caller may or may not see, and where the caller's own list shows those it sees.
_LISTS = {"instance_id": "/api/instances?per_page=100", "task_id": "/api/tasks?state=ready&per_page=100",
          "escalation_id": "/api/escalations?per_page=100"}


def visible(app: Any, known: dict[str, list[str]]) -> dict[str, list[str]]:
    """Of the seeded ids, those the app's caller sees (by its own lists; attachments by their tasks)."""
    client = app.test_client()
    out = {}
    for name, path in _LISTS.items():
        listed = {str(item["id"]) for item in client.get(path).get_json().get("items", [])}
        out[name] = [value for value in known[name] if value in listed]
    out["task_id"] += [t for t in known["task_id"] if t not in out["task_id"]
                       and client.get(f"/api/tasks/{t}").status_code == 200]
    out["attachment_id"] = [a for a in known["attachment_id"]
                            if client.get(f"/api/attachments/{a}/meta").status_code == 200]
    return out


def intact(runtime: Any, known: dict[str, list[str]]) -> bool:
    """Whether the database still holds exactly the seeded instances (no other test wiped or added any)."""
    with runtime.engine.connect() as conn:
        ids = set(conn.execute(text("SELECT id FROM instances")).scalars())
    return bool(ids) and ids == set(known.get("instance_id", ()))


def people_snapshot(runtime: Any) -> dict[str, list[dict[str, Any]]]:
    """The rows of the session-wide people tables (departments, users, roles, tokens)."""
    with runtime.engine.connect() as conn:
        return {name: [dict(r._mapping) for r in conn.execute(select(Base.metadata.tables[name]))] for name in _PEOPLE}


def restore_people(runtime: Any, snapshot: dict[str, list[dict[str, Any]]]) -> None:
    """Put the people tables back as they were (after _wipe: no instance refers to a department any more)."""
    departments, users = Base.metadata.tables["departments"], Base.metadata.tables["users"]
    roles, tokens = Base.metadata.tables["user_roles"], Base.metadata.tables["api_tokens"]
    kept_users = [row["id"] for row in snapshot["users"]]
    kept_departments = [row["id"] for row in snapshot["departments"]]
    with runtime.engine.begin() as conn:
        for row in snapshot["users"]:
            conn.execute(update(users).where(users.c.id == row["id"]).values(**row))
        conn.execute(delete(roles))
        conn.execute(insert(roles), snapshot["user_roles"])
        conn.execute(delete(tokens).where(tokens.c.user_id.not_in(kept_users)))
        # A deactivated user's tokens are revoked with it: the session's tokens come back as they were.
        for row in snapshot["api_tokens"]:
            conn.execute(update(tokens).where(tokens.c.token_hash == row["token_hash"]).values(**row))
        conn.execute(delete(users).where(users.c.id.not_in(kept_users)))
        for row in snapshot["departments"]:
            conn.execute(update(departments).where(departments.c.id == row["id"]).values(**row))
        added = departments.c.id.not_in(kept_departments)
        conn.execute(update(departments).where(added).values(parent_id=None, district_id=None))
        conn.execute(delete(departments).where(added))


# Answers that do not show the object was found: not found, or input refused before any lookup (a body that is
# not JSON, or does not validate).
_BEFORE_LOOKUP = frozenset({400, 404, 422})


class Tally:
    """Answers per (role, operation, status), and per (role, operation) those to calls with a real path id: whether
    they reached the object (any answer but 400, 404 or 422) or not."""

    def __init__(self) -> None:
        self.statuses: Counter[tuple[str, str, str]] = Counter()
        self.real: Counter[tuple[str, str, bool]] = Counter()  # (role, operation, answered other than 404)
        self.none_visible: set[tuple[str, str]] = set()

    def record(self, role: str, case: Any, status: int, known: dict[str, list[str]], linked: bool = False) -> None:
        """Count one answer; a call is "real" when a path parameter holds a seeded value, or (`linked`, the
        stateful run) any value, since those come from earlier answers."""
        label = case.operation.label
        if case.method.upper() != case.operation.method.upper():  # schemathesis tries other methods too
            self.statuses[(role, label, "other methods")] += 1
            return
        self.statuses[(role, label, str(status))] += 1
        params = case.path_parameters or {}
        if params and (linked or any(str(value) in known.get(name, ()) for name, value in params.items())):
            self.real[(role, label, status not in _BEFORE_LOOKUP)] += 1

    def roles(self) -> list[str]:
        return sorted({role for role, _, _ in self.statuses})

    def operations(self, role: str) -> list[str]:
        return sorted({label for r, label, _ in self.statuses if r == role})

    def unreached(self, role: str, labels: list[str]) -> list[str]:
        """Operations with path parameters whose calls with real ids never reached their object."""
        return [label for label in labels if "{" in label and not self.real[(role, label, True)]
                and (role, label) not in self.none_visible]

    def hidden(self, role: str, label: str) -> None:
        """Note an operation whose kind of object this role sees none of (its 404s are right)."""
        self.none_visible.add((role, label))

    def lines(self) -> list[str]:
        """A summary table per role: the statuses answered, and real-id calls that reached their object."""
        out = []
        for role in self.roles():
            total = sum(n for (r, _, _), n in self.statuses.items() if r == role)
            five = sum(n for (r, _, s), n in self.statuses.items() if r == role and s.startswith("5"))
            out.append(f"--- as {role}: {total} calls, {five} × 5xx")
            for label in self.operations(role):
                statuses = sorted((s, n) for (r, lab, s), n in self.statuses.items() if r == role and lab == label)
                shown = " ".join(f"{s}×{n}" for s, n in statuses if s != "other methods")
                real = ""
                if "{" in label:
                    hit, miss = self.real[(role, label, True)], self.real[(role, label, False)]
                    real = f"   real ids: {hit} reached, {miss} not (400/404/422)"
                    if not hit:
                        real += "   (sees none)" if (role, label) in self.none_visible else "   NOT REACHED"
                out.append(f"  {label:<52}{shown}{real}")
        return out
