"""Background work (/admin/incidents, /admin/outbox): jobs and incidents as GET /api/jobs and /api/incidents
list them, a retry as POST /api/incidents/{id}/retry, and the mail outbox with the retry `jixiao notifications
retry` makes (the same function)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from service import policy
from service.bpm import incidents
from service.notifications import outbox
from service.web import bp, i18n
from service.web.pages import choice, page_number, pager, reading, unit_of_work, viewer
from service.web.permissions import permitted

PER_PAGE = 30
JOB_STATUSES = ("failed", "pending", "running", "done")
MAIL_STATUSES = ("failed", "pending", "sent")


@bp.get("/admin/incidents")
@permitted(policy.READ_INCIDENTS)
def admin_incidents() -> ResponseReturnValue:
    """Jobs by status (incidents, the failed ones, first) with their last error; a retry for administrators."""
    status = choice(request.args, "status", (*JOB_STATUSES, "all"), "failed")
    page = page_number()
    with reading() as conn:
        found = incidents.list_jobs(conn, page=page, per_page=PER_PAGE,
                                    status=None if status == "all" else status)
    return render_template("web/admin_incidents.html", jobs=found["items"], status=status,
                           statuses=(*JOB_STATUSES, "all"), pager=pager(found["total"], page, PER_PAGE),
                           may_retry=policy.may(viewer(), policy.RETRY_INCIDENTS))


@bp.post("/admin/incidents/<int:job_id>/retry")
@permitted(policy.RETRY_INCIDENTS)
def admin_incident_retry(job_id: int) -> ResponseReturnValue:
    """One more attempt for an incident, due now; audited."""
    with unit_of_work() as conn:
        incidents.retry(conn, job_id, viewer().username)
    flash(i18n.text("admin_job_retried", id=job_id), "ok")
    return redirect(url_for("web.admin_incidents"))


@bp.get("/admin/outbox")
@permitted(policy.MANAGE_OUTBOX)
def admin_outbox() -> ResponseReturnValue:
    """Mails of the outbox by status (the failed ones first) with the reason they failed."""
    status = choice(request.args, "status", (*MAIL_STATUSES, "all"), "failed")
    page = page_number()
    with reading() as conn:
        found = outbox.list_notifications(conn, page=page, per_page=PER_PAGE,
                                          status=None if status == "all" else status)
    return render_template("web/admin_outbox.html", mails=found["items"], status=status,
                           statuses=(*MAIL_STATUSES, "all"), pager=pager(found["total"], page, PER_PAGE))


@bp.post("/admin/outbox/<int:notification_id>/retry")
@permitted(policy.MANAGE_OUTBOX)
def admin_outbox_retry(notification_id: int) -> ResponseReturnValue:
    """One more delivery attempt for a failed mail with an address, due now; audited."""
    with unit_of_work() as conn:
        outbox.retry(conn, notification_id, viewer().username)
    flash(i18n.text("admin_mail_retried", id=notification_id), "ok")
    return redirect(url_for("web.admin_outbox"))
