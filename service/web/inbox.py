"""The inbox (/inbox): what I can act on now (mine, then my groups' unclaimed tasks), my tasks, my groups', my
department's, all I may see — the same query as GET /api/tasks, with a count on each tab."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue

from service import clock, policy
from service.queries import departments, process_models_queries, tasks_queries
from service.web import bp, i18n
from service.web.pages import PER_PAGE, choice, page_number, pager, reading, viewer
from service.web.session_auth import login_required

SORTS = tasks_queries.SORTS
TABS = ("actionable", "mine", "candidate", "department", "all")  # the first is the default
DEFAULT_PRIORITY = 50  # camunda:priority when a task sets none (DESIGN.md, Process models)


def badges(task: dict[str, Any], now: datetime) -> list[str]:
    """Due and overdue badges, and whether the task stands out by priority (text keys of i18n)."""
    out = []
    due = clock.from_db(task.get("due_at"))
    if due is not None and task.get("state") == "ready":
        if due < now:
            out.append("badge_overdue")
        elif clock.local_today(due) == clock.local_today(now):
            out.append("badge_due_today")
    if task.get("priority", DEFAULT_PRIORITY) > DEFAULT_PRIORITY:
        out.append("badge_high")
    elif task.get("priority", DEFAULT_PRIORITY) < DEFAULT_PRIORITY:
        out.append("badge_low")
    return out


@bp.get("/inbox")
@login_required
def inbox() -> ResponseReturnValue:
    """Tasks the user may see in a scope, filtered, sorted and paged."""
    me, now = viewer(), clock.now()
    args = request.args
    # Auditors act on nothing: they open on everything they may read.
    scope = choice(args, "scope", TABS, ("all" if not policy.may(me, policy.CHANGE_ANYTHING) else TABS[0]))
    state = choice(args, "state", ("ready", "completed"), "ready")
    sort = choice(args, "sort", SORTS, "due")
    within = args.get("due_within_days", "")
    filters: dict[str, Any] = {
        "viewer": me, "scope": scope, "state": state, "process_id": args.get("process_id") or None,
        "overdue": args.get("overdue") == "1",
        "due_within_days": int(within) if within.isdigit() and int(within) <= 3650 else None,
    }
    page = page_number()
    with reading() as conn:
        counts = tasks_queries.count_by_scope(conn, me, state)
        # An unfiltered scope holds as many tasks as its tab counts: the list need not count them again.
        unfiltered = not (filters["process_id"] or filters["overdue"] or filters["due_within_days"] is not None)
        found = tasks_queries.list_tasks(conn, page=page, per_page=PER_PAGE, now=now, sort=sort,
                                         total=counts[scope] if unfiltered else None, **filters)
        items, total = found["items"], found["total"]
        names = departments.department_names(conn, i18n.current(),
                                             {t["department_id"] for t in items if t["department_id"]})
        # Processes by their modelled names (绩效目标审核, …) in the list and the filter, not their ids.
        processes = process_models_queries.latest_names(conn)
    for task in items:
        task["badges"] = badges(task, now)
        task["department"] = names.get(task["department_id"] or "", task["department_id"] or "")
        task["process_name"] = processes.get(task["process_id"], task["process_id"])
    return render_template("web/inbox.html", tasks=items, pager=pager(total, page), scope=scope, state=state,
                           sort=sort, scopes=TABS, counts=counts, sorts=SORTS, processes=processes, args=args,
                           completed=args.get("completed"))
