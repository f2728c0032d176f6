"""/trainings (the plan 三(四)): the bureau records a session and its attendance through the page, sees the
sessions measure and each department's attendance; the dashboard's coverage table shows the measure."""

from __future__ import annotations

import html

from service import db
from service.queries import trainings_queries
from tests.service.web.browser_fixtures import signed_in


def _text(client, path: str) -> str:
    resp = client.get(path)
    assert resp.status_code == 200, path
    return html.unescape(resp.get_data(as_text=True))


def test_a_reviewer_records_a_session_and_attendance_on_the_page(app, cycle):
    reviewer = signed_in(app, "reviewer")
    page = _text(reviewer, "/trainings?year=2015&level=municipal")
    assert "已举办 0 次，方案要求每年 1–2 次" in page and "本年度本级尚未登记培训班" in page
    blank = reviewer.submit("/trainings", {"level": "municipal", "title": "", "held_on": "2015-02-26",
                                           "organiser": "市财政局绩效管理处"})
    assert blank.status_code == 422 and "请填写培训班名称" in html.unescape(blank.get_data(as_text=True))
    _text(reviewer, "/trainings?year=2015&level=municipal")
    # the test clock stands at 2015-03-02
    done = reviewer.submit("/trainings", {"level": "municipal", "title": "绩效目标管理专题培训班",
                                          "held_on": "2015-02-26", "organiser": "市财政局绩效管理处"})
    assert done.status_code == 302, done.get_data(as_text=True)
    with db.read(cycle.rt.engine) as conn:
        [session] = trainings_queries.list_sessions(conn, year=2015, level="municipal")
    _text(reviewer, "/trainings?year=2015&level=municipal")
    added = reviewer.submit(f"/trainings/{session['id']}/attendance",
                            {"group": "departments", "department_id": "dept-a", "head_count": "3"})
    assert added.status_code == 302
    _text(reviewer, "/trainings?year=2015&level=municipal")
    assert reviewer.submit(f"/trainings/{session['id']}/attendance",
                           {"group": "bureau_staff", "head_count": "8"}).status_code == 302
    page = _text(reviewer, "/trainings?year=2015&level=municipal")
    assert "已举办 1 次，方案要求每年 1–2 次，达标" in page
    assert "绩效目标管理专题培训班" in page and "市教育局 3 人" in page
    # a department's attendance without the department, and the same attendance twice: 422 at the field, nothing kept
    missing = reviewer.submit(f"/trainings/{session['id']}/attendance", {"group": "departments", "head_count": "2"})
    assert missing.status_code == 422 and "请选择列出的部门" in html.unescape(missing.get_data(as_text=True))
    _text(reviewer, "/trainings?year=2015&level=municipal")
    twice = reviewer.submit(f"/trainings/{session['id']}/attendance",
                            {"group": "departments", "department_id": "dept-a", "head_count": "1"})
    assert twice.status_code == 422 and "不能重复登记" in html.unescape(twice.get_data(as_text=True))
    with db.read(cycle.rt.engine) as conn:
        assert trainings_queries.get_session(conn, session["id"])["head_count"] == 11  # 3 from dept-a + 8 bureau staff

    dashboard = _text(reviewer, "/dashboard?year=2015&level=municipal")
    assert "年度专题培训班（方案三(四)）" in dashboard and "1–2 次" in dashboard
    english = _text(reviewer, "/trainings?year=2015&level=municipal&lang=en")
    assert "1 held; the plan asks for 1 to 2 a year; met" in english and "Attendance by department" in english


def test_departments_get_the_403_page_and_supervisors_only_read(app, cycle):
    assert signed_in(app, "staff_a").get("/trainings").status_code == 403
    supervisor = signed_in(app, "supervisor")
    page = _text(supervisor, "/trainings")
    assert "training-new" not in page and "登记参训" not in page
    assert supervisor.submit("/trainings", {"level": "municipal", "title": "培训", "held_on": "2015-02-26",
                                            "organiser": "市财政局"}).status_code == 403
