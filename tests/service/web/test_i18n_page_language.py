"""Every page of the web UI, walked as each role that can see it, in Chinese and in English: no raw key, no raw
JSON, no English sentence of ours on a Chinese page, no Chinese text of ours on an English page, no time in UTC.

The walk follows the links each page shows (GET only, each kind of page a few times) from the menu, over data the
workflow tests build: goals under review by the head, the bureau and the experts, a spot check, an agency's report
and its rating, a rectification under verification, a budget decision, a slipped declaration and a red warning
before the supervisors. Only the text people read is checked: tags, <script> and <style> are stripped.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
from collections import Counter, deque
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from sqlalchemy import text

from service import clock
from service.domain.roles import ROLES
from service.web.texts import TEXTS
from tests.conftest import PEOPLE
from tests.service.web.browser_fixtures import signed_in
from tests.workflows import test_evaluation as evaluation
from tests.workflows.stages import FEEDBACK, GOAL, PLAN, REVIEW, start_stage

# Proper nouns and units that are written the same in both languages (and so may stand on a Chinese page), and
# identifiers shown as identifiers. Each entry says why it is allowed.
ALLOWED_ENGLISH = (
    "BPMN", "DMN", "API", "JSON Schema", "CSV", "JSONL", "XML", "SHA-256",  # names of standards and file formats
    "English",  # the language switch names the other language in that language
    "chinese-calendar",  # the package the official holiday calendar is read from, named in the calendar's source
)
# User names are identifiers people sign in with (staff_a, head_a…), shown as such; so are the engine's own actors
# in a history (system, worker, timer) and the seeding actor of the test database (test).
ALLOWED_KEYS = set(PEOPLE) | {"system", "worker", "timer", "test"}

_SKIP = re.compile(r"^/(logout|web/static|diagrams/|attachments/|api)|/export\.|\.csv$|/files/|/versions/")
_RAW_KEY = re.compile(r"(?<![\w./@-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/@-]|\.\w)")
_JSON = re.compile(r'\{\s*"|"\s*:\s*["{\[\d]|\[\s*\{|\[\s*"|\{\s*\}|\[\s*\]')
_ENGLISH = re.compile(r"[A-Za-z][a-z]+(?:[,;]?\s+[A-Za-z][a-z'’-]*){2,}")  # three words in a row
_WORD = re.compile(r"(?<![\w./@:-])[a-z]{3,}(?:-[a-z]+)*(?![\w./@-])")
_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|\+00:00)\b|\bUTC\b(?![+-]\d)|GMT")  # "北京时间（UTC+08:00）" names the zone
_CJK_RUN = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
_ID = re.compile(r"(?<=/)[0-9a-f-]{8,}(?=/|$)|(?<=/)\d+(?=/|$)")
PER_KIND = 3  # pages of the same kind (the same path with other ids) opened per user and language


def _our_chinese() -> set[str]:
    """The Chinese runs of the strings we write (texts, role names), as they stand between placeholders."""
    runs: set[str] = set()
    for zh, en in TEXTS.values():
        if zh != en:
            runs.update(run for part in re.split(r"\{[^}]*\}", zh) for run in _CJK_RUN.findall(part) if len(run) >= 2)
    runs.update(name for name, *_ in ROLES.values())
    return runs


OUR_CHINESE = _our_chinese()
# What people typed in the demo (a goal "完成 12 所…") stays as typed on English pages, even where a word of it is
# also a word of ours.
TYPED = set(_CJK_RUN.findall(json.dumps([GOAL, REVIEW, FEEDBACK, PLAN, evaluation.SCHOOL,
                                         evaluation.self_evaluation(*evaluation.EXCELLENT[:2])], ensure_ascii=False)))


def visible(page: str) -> str:
    """The text a person reads: scripts, styles, comments and tags removed, entities decoded, spaces collapsed."""
    page = re.sub(r"<(script|style|template)\b.*?</\1>", " ", page, flags=re.S | re.I)
    # Identifiers shown as identifiers (a BPMN element id, a process id, a version hash, an internal variable of
    # the engine with its machine value) stand in <code>: they are the same in every language.
    page = re.sub(r"<code\b.*?</code>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<!--.*?-->", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def leaks(text: str, lang: str) -> list[str]:
    """What the page should not show people, each as `kind: excerpt`."""
    found = []
    for match in _RAW_KEY.finditer(text):
        if match.group() not in ALLOWED_KEYS:
            found.append(f"raw key: {match.group()!r} in …{text[max(0, match.start() - 40):match.end() + 40]}…")
    for match in _JSON.finditer(text):
        found.append(f"raw JSON: …{text[max(0, match.start() - 40):match.end() + 40]}…")
    for match in _UTC.finditer(text):
        found.append(f"UTC time: …{text[max(0, match.start() - 30):match.end() + 30]}…")
    if lang == "zh":
        stripped = text
        for word in ALLOWED_ENGLISH:
            stripped = stripped.replace(word, " ")
        for match in _ENGLISH.finditer(stripped):
            found.append(f"English on a Chinese page: {match.group()!r}")
        for match in (m for m in _WORD.finditer(stripped) if m.group() not in ALLOWED_KEYS):  # a raw enum value ("municipal", "plan") is an English word
            found.append(f"English word on a Chinese page: {match.group()!r} in "
                         f"…{stripped[max(0, match.start() - 40):match.end() + 40]}…")
    else:
        # Our English cites the plan and national documents in their own words (DOMAIN.md, Sources): quoted
        # (“…”, 《…》), a term in brackets after its English (督办), a document number (财预〔2020〕10号), and
        # the plan's own names in a list of them (决策 / 过程 / 产出 / 效益).
        text = re.sub(r"“[^”]*”|《[^》]*》|\([^()]*[\u4e00-\u9fff][^()]*\)|[\u4e00-\u9fff]+〔\d+〕\d+号"
                      r"|[\u4e00-\u9fff]+(?: / [\u4e00-\u9fff]+)+", " ", text)
        for run in set(_CJK_RUN.findall(text)):
            if run in OUR_CHINESE and run not in TYPED:
                found.append(f"Chinese on an English page: {run!r}")
    return found


def _kind(path: str) -> str:
    parts = urlsplit(path)
    query = "&".join(sorted(k for k, _ in parse_qsl(parts.query)))
    return _ID.sub("<id>", parts.path) + "?" + query


def _links(page: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'<a\b[^>]*\shref="(/[^"#]*)"', page)]


def walk(app: Any, username: str, lang: str, start: list[str]) -> dict[str, list[str]]:
    """Open every page `username` can reach by links from `start` (a few of each kind): path → leaks."""
    client = signed_in(app, username)
    if lang == "en":
        client.get("/?lang=en")  # the switch: the choice is kept in a cookie from then on
    seen: set[str] = set()
    kinds: Counter[str] = Counter()
    queue = deque(start)
    report: dict[str, list[str]] = {}
    while queue:
        path = queue.popleft()
        parts = urlsplit(path)
        path = parts.path + ("?" + urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "lang"])
                             if parts.query else "")
        path = path.rstrip("?")
        if path in seen or _SKIP.search(parts.path) or kinds[_kind(path)] >= PER_KIND:
            continue
        seen.add(path)
        kinds[_kind(path)] += 1
        answer = client.get(path)
        if answer.status_code in (301, 302, 303):
            queue.append(answer.headers["Location"])
            continue
        if answer.mimetype != "text/html":
            continue
        page = answer.get_data(as_text=True)
        assert ('lang="zh-CN"' if lang == "zh" else 'lang="en"') in page, f"{path} as {username} is not in {lang}"
        problems = leaks(visible(page), lang)
        if problems:
            report[f"{username} {lang} {path} ({answer.status_code})"] = problems
        queue.extend(_links(page))
    return report


@pytest.fixture
def demo(app, cycle) -> dict[str, str]:
    """Work in every stage people decide in (the decision pages' cases, together): name → instance id."""
    from tests.service.queries.scenarios import serious_deviation

    made = {}
    major = cycle.project("2015-dept-a-001", amount=6_000_000)
    made["expert"] = iid = cycle.start(major, process_id="goal_review")
    cycle.complete(iid, "declare_goal", GOAL, user="staff_a")
    cycle.complete(iid, "submit_goal", {"head_approved": True, "head_comment": "同意报送"}, user="head_a")
    cycle.complete(iid, "finance_review", {**REVIEW, "review_outcome": "良", "review_comment": "目标明确"},
                   user="reviewer")
    made["head"] = iid = cycle.start(cycle.project("2015-dept-a-003"), process_id="goal_review")
    cycle.complete(iid, "declare_goal", GOAL, user="staff_a")
    made["declare"] = cycle.start(cycle.project("2015-dept-b-001", department_id="dept-b"), process_id="goal_review")

    spot = cycle.project(evaluation.project_id(want_spot_check=True), amount=1_000_000, fiscal_year=evaluation.FY)
    made["spot"] = iid = evaluation.start(cycle, spot, evaluation.SCHOOL)
    cycle.complete(iid, "self_evaluation", evaluation.self_evaluation(*evaluation.EXCELLENT[:2]), user="staff_a")
    key = cycle.project(f"{evaluation.FY}-dept-a-key", amount=6_000_000, fiscal_year=evaluation.FY)
    made["agency"] = iid = evaluation.start(cycle, key, evaluation.SCHOOL)
    cycle.complete(iid, "self_evaluation", evaluation.self_evaluation(
        5_400_000, evaluation.school_results(8, 98, 5000, 85)), user="staff_a")

    made["rectification"] = iid = start_stage(cycle, cycle.project("2015-dept-a-004"), "rectification",
                                              final_grade="中", final_score=72.5)
    cycle.complete(iid, "feed_back_results", FEEDBACK, user="reviewer")
    cycle.complete(iid, "submit_rectification", PLAN, user="staff_a")
    made["budget"] = start_stage(cycle, cycle.project("2015-dept-a-005", amount=2_000_000), "budget_linkage",
                                 final_grade="中", rectification_status="done")
    made["deviation"] = str(serious_deviation(cycle, "2015-dept-a-002")["instance_id"])
    made["late"] = cycle.start(cycle.project("2015-dept-a-006"), process_id="goal_review")
    clock.set_now(datetime.fromisoformat("2015-03-20T00:00:00+08:00"))  # the declarations slip: supervisors' cases
    cycle.work()
    return made


ROLE_USERS = ("staff_a", "head_a", "reviewer", "expert", "agency", "supervisor", "leader", "auditor", "designer",
              "admin")
ERRORS = ("/no-such-page", "/tasks/no-such-task", "/admin/users", "/designer", "/tasks/x/complete")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_speaks_the_language_chosen(app, runtime, cycle, demo, lang, monkeypatch):
    # every account's user name is an identifier shown as such, also those other tests of the session added
    with runtime.engine.connect() as conn:
        names = {row[0] for row in conn.execute(text("SELECT username FROM users"))}
    monkeypatch.setattr(sys.modules[__name__], "ALLOWED_KEYS", ALLOWED_KEYS | names)
    report: dict[str, list[str]] = {}
    for username in ROLE_USERS:
        start = ["/", "/inbox", "/inbox?scope=all", "/escalations", "/dashboard", "/projects", "/scorecard",
                 "/designer", "/audit", "/admin", *ERRORS]
        start += [f"/instances/{iid}" for iid in demo.values() if iid] + [f"/audit/{iid}" for iid in demo.values() if iid]
        report.update(walk(app, username, lang, start))
    if os.environ.get("JIXIAO_LEAK_REPORT"):  # the whole list, for fixing many at once
        Path(os.environ["JIXIAO_LEAK_REPORT"]).write_text(json.dumps(report, ensure_ascii=False, indent=1))
    assert not report, "\n".join(f"{page}:\n  " + "\n  ".join(found[:6]) for page, found in report.items())
