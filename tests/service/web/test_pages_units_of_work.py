"""A page is one unit of work (DESIGN.md, "Units of work"): every page a role can reach checks out at most one
database connection per request — the signed-in user, the page's reads, the names its template shows (departments,
processes, options) and the escalation facts beside a task all come from the transaction the page opened.

Measured at run time on the engine's pool ("checkout" events), over every page each role reaches by links from the
menu on the workflow tests' data (the language walk's `demo`: work in every stage people decide in).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event

from tests.service.web.browser_fixtures import signed_in
from tests.service.web.test_admin_home import reference  # noqa: F401  (a fixture)
from tests.service.web.test_i18n_page_language import (  # noqa: F401  (demo is a fixture)
    _SKIP,
    ERRORS,
    PER_KIND,
    ROLE_USERS,
    _kind,
    _links,
    demo,
)

# Pages that may check out more than one connection, each with its reason.
MORE_THAN_ONE: dict[str, str] = {}


@pytest.fixture
def checkouts(runtime: Any) -> Iterator[list[int]]:
    """[n]: the connections checked out of the runtime's pool since the list was last set to [0]."""
    counted = [0]

    def count(*_: Any) -> None:
        counted[0] += 1

    event.listen(runtime.engine, "checkout", count)
    yield counted
    event.remove(runtime.engine, "checkout", count)


def _walk(app: Any, username: str, start: list[str], checkouts: list[int]) -> dict[str, int]:
    """Open every page `username` reaches by links from `start` (a few of each kind): path → connections it took."""
    client = signed_in(app, username)
    seen: set[str] = set()
    kinds: Counter[str] = Counter()
    queue = deque(start)
    taken: dict[str, int] = {}
    while queue:
        path = queue.popleft().rstrip("?")
        if path in seen or _SKIP.search(urlsplit(path).path) or kinds[_kind(path)] >= PER_KIND:
            continue
        seen.add(path)
        kinds[_kind(path)] += 1
        checkouts[0] = 0
        answer = client.get(path)
        taken[path] = checkouts[0]
        if answer.status_code in (301, 302, 303):
            queue.append(answer.headers["Location"])
            continue
        if answer.mimetype == "text/html":
            queue.extend(_links(answer.get_data(as_text=True)))
    return taken


def test_every_page_checks_out_one_connection_at_most(app, cycle, demo, checkouts):  # noqa: F811
    start = ["/", "/inbox", "/inbox?scope=all", "/escalations", "/dashboard", "/projects", "/scorecard", "/designer",
             "/audit", "/admin", *ERRORS]
    start += [f"/instances/{iid}" for iid in demo.values() if iid] + [f"/audit/{iid}" for iid in demo.values() if iid]
    over: list[str] = []
    walked = 0
    for username in ROLE_USERS:
        taken = _walk(app, username, start, checkouts)
        walked += len(taken)
        over += [f"{username} GET {path}: {n} connections" for path, n in taken.items()
                 if n > 1 and _kind(path) not in MORE_THAN_ONE]
    assert walked > 200  # the walk reached the pages (not just the menu)
    assert not over, "pages that open more than one transaction:\n" + "\n".join(over)


def test_a_refused_form_is_shown_again_from_the_unit_of_work_that_refused_it(app, reference, checkouts):  # noqa: F811
    admin = signed_in(app, "admin")
    admin.get("/admin/users")
    checkouts[0] = 0
    nowhere = admin.submit("/admin/users", {"username": "qian.li", "display_name": "钱立", "password": "Str0ng-pass1",
                                            "department_id": "nowhere"})
    assert nowhere.status_code == 422 and 'data-error-for="department_id"' in nowhere.get_data(as_text=True)
    # the sign-in check (a POST's own short read), then one unit of work: the refused save under a savepoint, undone,
    # and the page shown again
    assert checkouts[0] == 2
    assert 'data-user="qian.li"' not in admin.get("/admin/users").get_data(as_text=True)
