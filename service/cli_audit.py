"""`jixiao audit nightly`: the worker's nightly verification on demand (workers/nightly_verify.py)."""

from __future__ import annotations

import sys

import click

from service import clock
from service.config import ConfigError, Settings
from service.runtime import Runtime


@click.command("nightly")
@click.option("--processes", "--jobs", "jobs", type=click.IntRange(1, 64), default=None,
              help="processes that check instances side by side (default: one per core)")
def audit_nightly(jobs: int | None) -> None:
    """Run today's nightly verification now, as the worker runs it at night (JIXIAO_CRON_VERIFY): every history
    verified, the run recorded for /audit/verify-runs, findings mailed to the auditors; once per day. Exit 1 on any
    finding."""
    from service.bpm.verify import default_jobs
    from workers.nightly_verify import nightly_verify

    rt = Runtime.build(Settings.from_env())
    try:
        result = nightly_verify(rt, clock.now(), jobs=jobs or default_jobs())
    except ConfigError as exc:  # no secret key to sign checkpoints with
        raise click.ClickException(str(exc)) from None
    if result.report is None:
        click.echo(f"the nightly verification of {result.day} has already run, or is running (see /audit/verify-runs)")
        return
    report = result.report
    for finding in report.findings:
        click.echo(f"MISMATCH {finding}", err=True)
    click.echo(f"nightly verification of {result.day}: {report.checked} instance(s), {report.from_checkpoint} from a "
               f"checkpoint; {len(report.findings)} finding(s), mailed to {len(result.mailed)} auditor(s); "
               f"run {result.run_id}")
    sys.exit(0 if report.ok else 1)
