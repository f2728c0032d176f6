"""The nightly verification (a calendar job of the worker, JIXIAO_CRON_VERIFY, 02:30 Wuhan time by default): every
history checked as `jixiao audit verify --all` checks it — hash chains, replay, stored state, derived rows, evidence
files — and the result recorded for the auditors (service/bpm/verify_runs.py; /audit/verify-runs,
GET /api/verify-runs). Each history verified clean is checkpointed, so a night replays only the events since the night
before, and a year's archive stays verifiable at checkpoint speed. Findings are mailed to every auditor.

One run per local day, claimed by the first worker: a second worker, or a second start the same day, does nothing.
A run still marked running from an earlier day (its worker stopped) is marked failed when the next one starts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from service import clock, db
from service.bpm import verify_runs
from service.bpm.verify import Finding, Report, verify
from service.bpm.verify_runs import INTERRUPTED  # noqa: F401  (what an interrupted run says)
from service.domain.roles import AUDITOR
from service.notifications import outbox
from service.notifications.recipients import role_people
from service.runtime import Runtime

log = logging.getLogger("jixiao.verify")

LISTED = 20  # findings named in the auditors' mail; the page lists them all


@dataclass
class NightlyResult:
    day: date
    run_id: str | None  # None: another worker (or an earlier start) has this day's run
    report: Report | None = None
    mailed: list[str] = field(default_factory=list)


def nightly_verify(rt: Runtime, now: datetime, jobs: int = 1) -> NightlyResult:
    """Verify every history once for the local day of `now`, record the run and mail any findings to the auditors.
    `jobs`: processes (the worker's scheduler thread uses one: forking a pool there would copy the other threads'
    locks; `jixiao audit nightly` may use more)."""
    day = clock.local_today(now)
    with db.write(rt.engine) as conn:
        run_id = verify_runs.claim(conn, day, now)
    if run_id is None:
        return NightlyResult(day, None)
    try:
        report = verify(rt.engine, rt.specs, rt.settings, jobs=jobs)
    except Exception as exc:
        with db.write(rt.engine) as conn:
            verify_runs.fail(conn, run_id, f"{type(exc).__name__}: {exc}", clock.now())
        raise
    result = NightlyResult(day, run_id, report)
    with db.write(rt.engine) as conn:
        verify_runs.finish(conn, run_id, report, clock.now())
        if report.findings:
            subject, body = _mail(day, run_id, report)
            for user in role_people(conn, [AUDITOR]):
                if outbox.enqueue(conn, key=f"verify:{day.isoformat()}:{user}", recipient=user, email=None,
                                  subject=subject, body=body, kind="verify", instance_id=None, now=now):
                    result.mailed.append(user)
    log.info("nightly verification of %s: %d checked (%d from checkpoints), %d finding(s)", day, report.checked,
             report.from_checkpoint, len(report.findings))
    return result


def _mail(day: date, run_id: str, report: Report) -> tuple[str, str]:
    count = len(report.findings)
    subject = f"【审计】{day:%Y年%m月%d日}夜间校验发现 {count} 处问题"
    lines = "\n".join(f"  · {_where(f)}：{f.problem}" for f in report.findings[:LISTED])
    more = f"\n  ……另有 {count - LISTED} 处，见校验页面。" if count > LISTED else ""
    body = (f"您好：\n\n系统于 {day:%Y-%m-%d} 夜间校验了 {report.checked} 个流程实例的审计历史"
            f"（哈希链、重放、存储状态、派生记录、佐证材料），发现 {count} 处问题：\n\n{lines}{more}\n\n"
            f"请登录系统查看：/audit/verify-runs/{run_id}\n")
    return subject, body


def _where(f: Finding) -> str:
    where = f"实例 {f.instance_id}" if f.instance_id else "全局哈希链"
    return f"{where} 事件 {f.seq}" if f.seq is not None else where
