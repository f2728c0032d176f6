"""the comparator of a library indicator (the direction its standard values are met in), room for "qualitative" in
a goal indicator's; rule rows' sources as seeded now: the plan's sections that exist, national practice by number, local practice with its reason

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 02:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# The seeded third-level indicators that are met at or below their standard value (seeds/libraries/indicators.json):
# a rate of deaths, unemployment, cost growth, misused funds; a unit cost; a response time.
_AT_MOST = ('HLT-04', 'HLT-05', 'SOC-06', 'HOU-06', 'TRF-06', 'PSF-03', 'ADM-04', 'URB-06')

# (key, fiscal year, level, the source seeded before, the source now): a row an administrator changed stays.
_SOURCES = (
    ('goal.major_threshold', 2014, '*',
     "DOMAIN.md 1: major projects (重大项目), budget at or above 5,000,000 CNY, also get an expert review",
     "local practice: a project budgeted at 5,000,000 CNY or more is a major project (重大支出项目) and its goals also get an expert review; the plan 二(一)1 asks “对重大支出项目绩效目标要加强论证” without a threshold, and 5,000,000 CNY is the bureau's own line"),
    ('goal.declaration_working_days', 2014, '*',
     "local practice: departments declare goals within 10 working days of the budget preparation notice",
     "local practice: departments declare goals within 10 working days of the budget preparation notice, two working weeks that with the head's 5 days and the bureau's 10-day review fit the budget preparation calendar"),
    ('goal.review_working_days', 2014, '*',
     "local practice: the performance office reviews a declaration within 10 working days",
     "local practice: the performance office reviews a declaration within 10 working days, so that a goal returned as 中 can still be revised and resubmitted before the budget is submitted"),
    ('goal.expert_review_working_days', 2014, '*',
     "local practice: a drawn expert panel reviews a major project's goals within 10 working days, as long as the bureau's own review; the plan 二(一)1 asks only that major projects' goals be 加强论证 and gives no day count",
     "local practice: a drawn expert panel reviews a major project's goals within 10 working days, as long as the bureau's own review; the plan 二(一)1 asks only “对重大支出项目绩效目标要加强论证” and gives no day count"),
    ('experts.panel_size', 2014, '*',
     "local practice: an expert review of a major project is done by 3 experts drawn at random",
     "local practice: an expert review of a major project is done by 3 experts drawn at random: an odd number gives a majority, and three views are more than one person's opinion"),
    ('monitoring.checkpoints', 2014, '*',
     "local practice (DOMAIN.md 2): runtime monitoring as of 31 July, reported by 31 August; the plan 二(一)2 and 二(三)2 ask for monitoring (定期开展绩效信息的采集和分析) without dates",
     "local practice: runtime monitoring as of 31 July, reported by 31 August, after half a year's spending and before the next budget is drawn up; the plan 二(三)2 asks to “定期开展绩效信息的采集和分析” without dates"),
    ('monitoring.execution_floors', 2014, '*',
     "local practice: execution floors of 25 % / 40 % / 60 % / 80 % at the end of April / June / August / October",
     "local practice: execution floors of 25 % / 40 % / 60 % / 80 % at the end of April / June / August / October, a steady pace after a slow first quarter, so that slow spending shows before the last quarter of the year"),
    ('monitoring.red_gap', 2014, '*',
     "local practice: execution more than 20 points behind time progress, or goal achievement more than 20 points behind execution, is a red warning",
     "local practice: execution more than 20 points behind time progress, or goal achievement more than 20 points behind execution, is a red warning: twice the yellow gap, a shortfall too large to make up without intervention"),
    ('monitoring.yellow_gap', 2014, '*',
     "local practice: a gap of more than 10 points between goal achievement and execution (or execution and time progress) is a warning",
     "local practice: a gap of more than 10 points between goal achievement and execution (or execution and time progress) is a warning, given while there is still time to correct within the year"),
    ('monitoring.corrective_working_days', 2014, '*',
     "local practice: corrective measures within 10 working days, no response pauses the project; the plan 二(一)2 says only 及时采取措施予以纠正",
     "local practice: corrective measures within 10 working days, long enough to agree a measure inside the department and short enough to act in the same quarter; no response pauses the project; the plan 二(一)2 says only “及时采取措施予以纠正”"),
    ('monitoring.midterm_as_of', 2014, '*',
     "local practice: the mid-term review is as of 30 June; the plan 二(三)2 asks for a mid-term review (中期评估) of selected key projects without a date",
     "local practice: the mid-term review is as of 30 June, the middle of the budget year; the plan 二(三)2 asks for a mid-term review (中期评估) of selected key projects without a date"),
    ('evaluation.weights', 2014, '*',
     "the plan 二(三): self-evaluation out of 100 — budget execution 10, outputs 50, effects 30, satisfaction 10",
     "national practice, 财预〔2020〕10号《项目支出绩效评价管理办法》: self-evaluation out of 100 — budget execution 10, outputs 50, effects 30, satisfaction 10; the plan gives no weights (its 二(二)二是 asks only to “合理设置权重分值”)"),
    ('evaluation.qualitative_bands', 2014, '*',
     "the plan 二(三): qualitative indicators score in bands — achieved 100–80 %, partly 80–60 %, not achieved 60–0 %",
     "national practice, 财预〔2020〕10号《项目支出绩效评价管理办法》: qualitative indicators score in bands — achieved 100–80 %, partly 80–60 %, not achieved 60–0 %; the plan gives no bands"),
    ('evaluation.grade_floors', 2014, '*',
     "the plan 二(三): grades 优 ≥ 90, 良 80–89, 中 60–79, 差 < 60",
     "national practice, 财预〔2020〕10号《项目支出绩效评价管理办法》: grades 优 ≥ 90, 良 80–89, 中 60–79, 差 < 60; the plan gives no grades"),
    ('evaluation.key_weights', 2014, '*',
     "local practice: key evaluation framework 决策 / 过程 / 产出 / 效益 weighted 20 / 20 / 30 / 30",
     "local practice: key evaluation framework 决策 / 过程 / 产出 / 效益 weighted 20 / 20 / 30 / 30, results (产出 and 效益) weighing most"),
    ('evaluation.key_focus_sectors', 2014, '*',
     "the plan 二(三): key evaluation focus areas — 三农, education, health, social security and employment, energy saving and environment, affordable housing, transfers to lower levels, enterprise subsidies",
     "the plan 二(三)3一是: key evaluation focus areas — “三农”、教育、医疗卫生、社会保障和就业、节能环保、保障性安居工程, “上级对下级转移支付项目” and “企业使用财政性资金”"),
    ('evaluation.spot_check_share', 2014, '*',
     "local practice: the bureau spot-checks 20 % of self-evaluation reports",
     "local practice: the bureau spot-checks 20 % of self-evaluation reports, one in five: enough that every department expects checks, within the performance office's capacity"),
    ('agency.rating_weights', 2014, '*',
     "the plan 二(三): agencies' reports rated on quality, timeliness and compliance (local weights)",
     "local practice: agencies' reports rated on quality 50, timeliness 25 and compliance 25, quality weighing most because the report is what the bureau relies on; the plan 二(三)4一是 asks to “定期实施绩效评价报告质量的评审、考核和通报” and ties it to commissions (“与绩效评价业务委托挂钩”) without criteria or weights"),
    ('agency.suspend_below', 2014, '*',
     "local practice: an agency whose report rates below 60 is suspended from new commissions",
     "local practice: an agency whose report rates below 60, the line under which an evaluation grades 差, is suspended from new commissions"),
    ('feedback.days', 2014, '*',
     "local practice: results fed back to the evaluated unit within 20 calendar days; the plan 二(一)4 says only 及时反馈给项目执行单位",
     "local practice: results fed back to the evaluated unit within 20 calendar days, so that rectification can start within a month of the evaluation; the plan 二(一)4 says only “将绩效评价结果及时反馈给项目执行单位”"),
    ('rectification.days', 2014, '*',
     "local practice: rectification measures within 30 calendar days of receiving the results; the plan 二(一)4 says only 督促及时整改",
     "local practice: rectification measures within 30 calendar days of receiving the results, a month to agree measures and start them; the plan 二(一)4 says only “督促及时整改”"),
    ('rectification.verification_days', 2014, '*',
     "local practice: supervision (the plan 二(二)三是, 监督指导库) verifies a rectification report within 15 calendar days of its submission; the plan gives no day count",
     "local practice: supervision (the plan 二(二)三是: “监督指导库”) verifies a rectification report within 15 calendar days of its submission, half the rectification window; the plan gives no day count"),
    ('accountability.handling_days', 2014, '*',
     "local practice: a supervisor handles an accountability case (问责, the plan 二(一)4: 制定绩效问责办法) within 30 calendar days of its opening; the plan gives no day count",
     "local practice: a supervisor handles an accountability case within 30 calendar days of its opening, a month to establish who is responsible; the plan 二(一)4 asks to “制定绩效问责办法,建立绩效监督和问责机制” and gives no day count"),
    ('linkage.proposals', 2014, '*',
     "the plan 二(五): 优 → priority funding, 良 → maintain, 中 → cut (default 10 %), 差 → cancel",
     "local practice: 优 → priority funding, 良 → maintain, 中 → cut (default 10 %), 差 → cancel, so that the grade is felt in the budget; the plan 二(一)4 says “要将上一年绩效评价结果作为安排下一年度预算的基本依据” and 一(四) asks for “评价结果与预算安排相结合的激励约束机制”, without a mapping or a rate"),
    ('linkage.confirmation_working_days', 2014, '*',
     "local practice: a budget officer confirms (or adjusts with a reason) the budget proposal of an evaluated project within 10 working days; the plan 二(一)4 (上一年绩效评价结果作为安排下一年度预算的基本依据) gives no day count",
     "local practice: a budget officer confirms (or adjusts with a reason) the budget proposal of an evaluated project within 10 working days, two working weeks inside the budget preparation; the plan 二(一)4 (“要将上一年绩效评价结果作为安排下一年度预算的基本依据”) gives no day count"),
    ('linkage.disclosure_working_days', 2014, '*',
     "local practice: goals, reports and results are disclosed within 20 working days of the budget decision; the plan 二(一)4 asks for 逐步向社会公开 without a day count",
     "local practice: goals, reports and results are disclosed within 20 working days of the budget decision, about a month to prepare what is published; the plan 二(一)4 asks for “逐步向社会公开” without a day count"),
    ('reminders.lead_working_days', 2014, '*',
     "local practice: reminders 5 and 1 working days before a due date",
     "local practice: reminders 5 and 1 working days before a due date: a week ahead to plan the work, the day before as a last call"),
    ('escalation.grace_working_days', 2014, '*',
     "local practice: a task still open 3 working days after its due date is escalated to the supervisors (督办); until then it shows as overdue in the inbox and its owner is reminded",
     "local practice: a task still open 3 working days after its due date is escalated to the supervisors (督办), a few days' grace for work that is nearly done; until then it shows as overdue in the inbox and its owner is reminded"),
    ('escalation.supervisor_decision_working_days', 2014, '*',
     "local practice: a supervisor decides an escalation within 5 working days of its opening, otherwise it is escalated one level up to the bureau leadership (局领导)",
     "local practice: a supervisor decides an escalation within 5 working days of its opening, one working week, otherwise it is escalated one level up to the bureau leadership (局领导)"),
    ('escalation.leadership_decision_working_days', 2014, '*',
     "local practice: the bureau leadership (局领导) decides an escalation the supervisors left undecided within 5 working days",
     "local practice: the bureau leadership (局领导) decides an escalation the supervisors left undecided within 5 working days, as long as the supervisors had"),
    ('coverage.goal_money_share', 2015, '*',
     "the plan 三: project money under goal management ≥ 50 % in 2015",
     "the plan 二(三)1一是: project money under goal management ≥ 50 % of the level's project money when the 2015 budget is drawn up (“不低于50%”)"),
    ('coverage.goal_money_share', 2016, '*',
     "the plan 三: project money under goal management 100 % in 2016",
     "the plan 二(三)1一是: project money under goal management 100 % when the 2016 budget is drawn up (“实现本级财政项目支出绩效目标管理全覆盖”)"),
    ('coverage.whole_department_goal_share', 2015, '*',
     "the plan 三: first-level departments with whole-department goals 10 % in 2015",
     "the plan 二(三)1二是: first-level departments with whole-department goals 10 % for 2015"),
    ('coverage.whole_department_goal_share', 2016, '*',
     "the plan 三: first-level departments with whole-department goals 30 % in 2016",
     "the plan 二(三)1二是: first-level departments with whole-department goals 30 % for 2016"),
    ('coverage.evaluated_money_share', 2014, 'municipal',
     "the plan 三: evaluated money / previous year's public spending, municipal 25 % in 2014",
     "the plan 二(三)3: evaluated money / previous year's public spending (公共财政支出), municipal 25 % in 2014"),
    ('coverage.evaluated_money_share', 2015, 'municipal',
     "the plan 三: evaluated money / previous year's public spending, municipal 30 % in 2015",
     "the plan 二(三)3: evaluated money / previous year's public spending (公共财政支出), municipal 30 % in 2015"),
    ('coverage.evaluated_money_share', 2014, 'district',
     "the plan 三: evaluated money / previous year's public spending, district 15 % in 2014",
     "the plan 二(三)3: evaluated money / previous year's public spending (公共财政支出), district 15 % in 2014"),
    ('coverage.evaluated_money_share', 2015, 'district',
     "the plan 三: evaluated money / previous year's public spending, district 20 % in 2015",
     "the plan 二(三)3: evaluated money / previous year's public spending (公共财政支出), district 20 % in 2015"),
    ('coverage.whole_department_evaluation_share', 2014, '*',
     "the plan 二(三)3: whole-department evaluation pilots 5 % of first-level departments in 2014",
     "the plan 二(三)3二是: whole-department evaluation pilots 5 % of first-level departments in 2014"),
    ('coverage.whole_department_evaluation_share', 2015, '*',
     "the plan 二(三)3: whole-department evaluation pilots 10 % of first-level departments in 2015",
     "the plan 二(三)3二是: whole-department evaluation pilots 10 % of first-level departments in 2015"),
    ('evaluation.empty_group_points', 2014, '*',
     "local practice: an indicator group with no indicator (e.g. no satisfaction indicator where nobody is served, DOMAIN.md 1) has its points redistributed over the other indicator groups in proportion to their weights (\"zero\": the group scores 0)",
     "local practice: an indicator group with no indicator (e.g. no satisfaction indicator where nobody is served) has its points redistributed over the other indicator groups in proportion to their weights, so that a project is not marked down for a group it cannot have (\"zero\": the group scores 0)"),
    ('evaluation.self_working_days', 2014, '*',
     "local practice: departments submit the self-evaluation report within 20 working days of the stage opening after the fiscal year ends",
     "local practice: departments submit the self-evaluation report within 20 working days of the stage opening after the fiscal year ends, four working weeks, so that grades are known early in the next year"),
    ('evaluation.key_report_working_days', 2014, '*',
     "local practice: a commissioned third-party agency submits its key evaluation report within 40 working days of the commission",
     "local practice: a commissioned third-party agency submits its key evaluation report within 40 working days of the commission, about two months for the agency's field work and report"),
    ('evaluation.review_working_days', 2014, '*',
     "local practice: the performance office spot-checks a self-evaluation report, or rates an agency's report, within 10 working days",
     "local practice: the performance office spot-checks a self-evaluation report, or rates an agency's report, within 10 working days, two working weeks as for the goal review"),
    ('coverage.evaluated_kinds', 2014, '*',
     "local practice: the evaluated-money and whole-department evaluation shares (the plan 三, 二(三)3) count completed self-evaluations (单位自评) and key evaluations (重点评价); mid-term reviews and spot-checks evaluate no further money",
     "local practice: the evaluated-money and whole-department evaluation shares (the plan 二(三)3) count completed self-evaluations (单位自评) and key evaluations (重点评价); mid-term reviews and spot-checks evaluate no further money"),
    ('escalation.extension_days', 2014, '*',
     "local practice: a supervisor who extends a missed feedback or rectification deadline (督办, the plan 二(四)) grants 15 more calendar days from the decision",
     "local practice: a supervisor who extends a missed feedback or rectification deadline (督办) grants 15 more calendar days from the decision, half the rectification window; the plan 二(一)4 asks the bureau to “督促及时整改” without a day count"),
    ('escalation.order_working_days', 2014, '*',
     "local practice: a supervisor who orders overdue feedback or rectification (责令限期整改, the plan 二(四)) sets 10 working days from the decision",
     "local practice: a supervisor who orders overdue feedback or rectification done by a date (责令限期) sets 10 working days from the decision, two working weeks, a firm deadline; the plan 二(三)4二是 asks to “切实督促其整改落实” without a day count"),
    ('reminders.announce_forms', 2014, '*',
     "the plan 二(二): runtime monitoring reports at the checkpoints and the mid-term review of key projects are announced to the departments concerned; the form keys (or task ids) of the tasks announced once to the department's staff and head (local practice, issue #5)",
     "local practice: the runtime monitoring reports at the checkpoints and the mid-term review of key projects (the plan 二(三)2) are announced once to the department's staff and head, since they open on a date rather than after a step the department took; the value lists their form keys (or task ids)"),
    ('monitoring.suspension_report_working_days', 2014, '*',
     "local practice: after the supervisor suspends a seriously deviating project (the plan 二(二): 暂缓后停止), the department reports again within 10 working days; if the deviation is still serious the project is stopped",
     "local practice: after the supervisor suspends a seriously deviating project (the plan 二(一)2: “暂缓后停止该项目的执行”), the department reports again within 10 working days; if the deviation is still serious the project is stopped"),
    ('scorecard.indicators', 2014, 'municipal',
     "the plan 二(三)3 (《武汉市预算绩效管理工作方案(2014—2015年)》): the bureau pilots a comprehensive evaluation of how each department runs budget performance management, on six dimensions — 基础工作, 目标管理, 运行监控, 评价实施, 结果应用, 改革创新; the indicators, their weights (out of 100) and points rules are local practice (issue 8): measured ones are computed from the cycle's records of the fiscal year's projects, entered ones are scored by the performance office from the department's self-report and evidence",
     "local practice: the indicators, their weights (out of 100) and points rules, so that the comprehensive evaluation is scored the same way for every department: measured ones are computed from the cycle's records of the fiscal year's projects, entered ones are scored by the performance office from the department's self-report and evidence; the plan 二(三)3二是 pilots the comprehensive evaluation of departments (“对部门或单位的基础工作、绩效目标、绩效监控、绩效评价、结果应用、改革创新等方面进行综合评价”), and its six aspects are the six dimensions here"),
    ('scorecard.indicators', 2014, 'district',
     "the plan 二(三)3: the comprehensive evaluation is piloted for the district finance bureaus too, scored by the municipal bureau; the same six dimensions, measured indicators aggregating the records of the district's departments' projects; indicators, weights and points rules local practice (issue 8)",
     "local practice: the comprehensive evaluation of the district finance bureaus, scored by the municipal bureau, on the same six dimensions, measured indicators aggregating the records of the district's departments' projects, so that districts are compared on one scale; the plan 一(三) asks to “探索开展区级财政支出管理绩效综合评价” and 二(三)3二是 pilots the comprehensive evaluation; indicators, weights and points rules are the bureau's own"),
    ('scorecard.grade_floors', 2014, '*',
     "local practice (issue 8): the comprehensive evaluation's total out of 100 is graded in the plan's bands (the plan 二(三): 优 ≥ 90, 良 80–89, 中 60–79, 差 < 60)",
     "local practice: the comprehensive evaluation's total out of 100 is graded in the bands national practice uses for project evaluation (财预〔2020〕10号: 优 ≥ 90, 良 80–89, 中 60–79, 差 < 60), so that one scale reads the same everywhere; the plan gives no grades"),
    ('scorecard.acknowledgement_working_days', 2014, '*',
     "local practice: the department acknowledges the comprehensive evaluation's result within 5 working days of its notice",
     "local practice: the department acknowledges the comprehensive evaluation's result within 5 working days of its notice, one working week, as it only confirms receipt"),
    ('scorecard.self_report_working_days', 2014, '*',
     "local practice (issue 8): a department (or district finance bureau) submits its comprehensive evaluation self-report with evidence within 15 working days of the bureau's notice",
     "local practice: a department (or district finance bureau) submits its comprehensive evaluation self-report with evidence within 15 working days of the bureau's notice, three working weeks to gather the evidence"),
)


def upgrade() -> None:
    # "qualitative" has 11 characters: a declared qualitative indicator did not fit goal_indicators.comparator on
    # PostgreSQL (SQLite does not enforce the length).
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('goal_indicators', 'comparator', type_=sa.String(length=20),
                        existing_type=sa.String(length=10), existing_nullable=False)
    op.add_column('library_indicators', sa.Column('comparator', sa.String(length=20), nullable=True))
    indicators = sa.table('library_indicators', sa.column('code', sa.String), sa.column('level', sa.Integer),
                          sa.column('quantitative', sa.Boolean), sa.column('scope', sa.String),
                          sa.column('comparator', sa.String))
    seeded = (indicators.c.level == 3) & (indicators.c.scope == 'common')
    op.execute(indicators.update().where(seeded, indicators.c.quantitative.is_(False)).values(comparator='qualitative'))
    op.execute(indicators.update().where(seeded, indicators.c.quantitative.is_(True), indicators.c.code.in_(_AT_MOST))
               .values(comparator='<='))
    op.execute(indicators.update().where(seeded, indicators.c.quantitative.is_(True),
                                         indicators.c.code.not_in(_AT_MOST)).values(comparator='>='))
    rules = sa.table('rules', sa.column('key', sa.String), sa.column('fiscal_year', sa.Integer),
                     sa.column('level', sa.String), sa.column('source', sa.Text))
    for key, year, level, before, now in _SOURCES:
        op.execute(rules.update().where(rules.c.key == key, rules.c.fiscal_year == year, rules.c.level == level,
                                        rules.c.source == before).values(source=now))


def downgrade() -> None:
    # The sources stay corrected: the ones seeded before cited sections the plan does not have; the comparator of
    # a goal's indicator keeps its room ("qualitative" does not fit in 10).
    op.drop_column('library_indicators', 'comparator')
