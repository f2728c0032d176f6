"""trainings and performance reports: the bureau's training sessions and their attendance (the plan 三(四)); the
departments' periodic performance management reports (the plan 二(一)4)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 05:00:00
"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


# The municipal scorecard's training indicator is computed from the attendance records now: a database seeded
# before gets the new seeded row (value and source), unless an administrator changed it since.
_RESEEDED = (
    ('scorecard.indicators', 2014, 'municipal',
     "local practice: the indicators, their weights (out of 100) and points rules, so that the comprehensive evaluation is scored the same way for every department: measured ones are computed from the cycle's records of the fiscal year's projects, entered ones are scored by the performance office from the department's self-report and evidence; the plan 二(三)3二是 pilots the comprehensive evaluation of departments (“对部门或单位的基础工作、绩效目标、绩效监控、绩效评价、结果应用、改革创新等方面进行综合评价”), and its six aspects are the six dimensions here",
     "[{\"code\": \"basic.rules\", \"dimension\": \"basic\", \"name\": \"绩效管理制度建设\", \"name_en\": \"Performance management rules\", \"weight\": 5, \"measure\": \"entered\", \"formula\": \"entered\", \"rule\": \"建立并执行本部门预算绩效管理制度办法，0–5 分，财政局依据部门自评报告和佐证材料评分\"}, {\"code\": \"basic.organisation\", \"dimension\": \"basic\", \"name\": \"组织机构与人员保障\", \"name_en\": \"Organisation and staff\", \"weight\": 5, \"measure\": \"entered\", \"formula\": \"entered\", \"rule\": \"明确绩效管理机构、职责和人员，0–5 分\"}, {\"code\": \"basic.training\", \"dimension\": \"basic\", \"name\": \"培训与宣传\", \"name_en\": \"Training and publicity\", \"weight\": 5, \"measure\": \"entered\", \"formula\": \"entered\", \"rule\": \"组织绩效管理培训、宣传，0–5 分\"}, {\"code\": \"goals.declared_on_time\", \"dimension\": \"goals\", \"name\": \"绩效目标按时申报\", \"name_en\": \"Goals declared on time\", \"weight\": 8, \"measure\": \"declarations_on_time\", \"formula\": \"ratio\", \"no_data\": \"zero\", \"rule\": \"按期申报的项目数 ÷ 有编报期限的项目数 × 8（以编报任务的期限为准）；无申报得 0 分\"}, {\"code\": \"goals.complete\", \"dimension\": \"goals\", \"name\": \"绩效目标完整\", \"name_en\": \"Goals complete (output and effect indicators)\", \"weight\": 4, \"measure\": \"declarations_complete\", \"formula\": \"ratio\", \"no_data\": \"zero\", \"rule\": \"同时含产出指标和效益指标的目标数 ÷ 申报目标数 × 4；无申报得 0 分\"}, {\"code\": \"goals.first_review\", \"dimension\": \"goals\", \"name\": \"绩效目标一次审核通过\", \"name_en\": \"Goals passing their first review (优/良)\", \"weight\": 8, \"measure\": \"review_first_pass\", \"formula\": \"ratio\", \"no_data\": \"zero\", \"rule\": \"首次财政审核为优或良的目标数 ÷ 经审核的目标数 × 8；无审核得 0 分\"}, {\"code\": \"monitoring.reports_on_time\", \"dimension\": \"monitoring\", \"name\": \"监控报告按时报送\", \"name_en\": \"Monitoring reports filed on time\", \"weight\": 10, \"measure\": \"monitoring_on_time\", \"formula\": \"deduct\", \"per_item\": 2, \"no_data\": \"zero\", \"rule\": \"满分 10 分，每逾期报送一份监控报告扣 2 分，扣完为止；无监控报告得 0 分\"}, {\"code\": \"monitoring.corrective_on_time\", \"dimension\": \"monitoring\", \"name\": \"预警按期纠偏\", \"name_en\": \"Warnings answered within the deadline\", \"weight\": 10, \"measure\": \"corrective_on_time\", \"formula\": \"ratio\", \"no_data\": \"full\", \"rule\": \"期限内提出纠偏措施的预警数 ÷ 已到期的预警数 × 10；无预警得满分\"}, {\"code\": \"evaluation.self_coverage\", \"dimension\": \"evaluation\", \"name\": \"单位自评全覆盖\", \"name_en\": \"Self-evaluation of every project\", \"weight\": 10, \"measure\": \"self_evaluation_coverage\", \"formula\": \"ratio\", \"no_data\": \"zero\", \"rule\": \"完成单位自评的项目数 ÷ 应自评项目数（已批复执行、未停止的项目）× 10；无应评项目得 0 分\"}, {\"code\": \"evaluation.spot_check\", \"dimension\": \"evaluation\", \"name\": \"自评质量（财政抽查）\", \"name_en\": \"Self-evaluation quality (bureau spot-checks)\", \"weight\": 10, \"measure\": \"spot_check_agreement\", \"formula\": \"ratio\", \"tolerance\": 5, \"no_data\": \"full\", \"rule\": \"抽查得分不低于自评得分 5 分以上的项目数 ÷ 被抽查项目数 × 10；未被抽查得满分\"}, {\"code\": \"results.rectified_on_time\", \"dimension\": \"results\", \"name\": \"整改按时到位\", \"name_en\": \"Rectifications done on time\", \"weight\": 6, \"measure\": \"rectification_on_time\", \"formula\": \"ratio\", \"no_data\": \"full\", \"rule\": \"按期报送并经核查到位的整改数 ÷ 已到期的整改数 × 6；无需整改得满分\"}, {\"code\": \"results.budget_applied\", \"dimension\": \"results\", \"name\": \"评价结果应用于预算\", \"name_en\": \"Results applied to the budget\", \"weight\": 5, \"measure\": \"budget_decisions_confirmed\", \"formula\": \"ratio\", \"no_data\": \"zero\", \"rule\": \"经确认的预算安排建议数 ÷ 预算安排建议数 × 5；无建议得 0 分\"}, {\"code\": \"results.disclosed\", \"dimension\": \"results\", \"name\": \"绩效信息公开\", \"name_en\": \"Results disclosed\", \"weight\": 4, \"measure\": \"results_disclosed\", \"formula\": \"ratio\", \"no_data\": \"zero\", \"rule\": \"已公开的评价结果数 ÷ 预算安排建议数 × 4；无建议得 0 分\"}, {\"code\": \"reform.innovation\", \"dimension\": \"reform\", \"name\": \"改革创新举措\", \"name_en\": \"Reform and innovation\", \"weight\": 6, \"measure\": \"entered\", \"formula\": \"entered\", \"rule\": \"在绩效管理方法、指标体系、信息化等方面的创新做法及成效，0–6 分\"}, {\"code\": \"reform.pilots\", \"dimension\": \"reform\", \"name\": \"试点与经验推广\", \"name_en\": \"Pilots and shared practice\", \"weight\": 4, \"measure\": \"entered\", \"formula\": \"entered\", \"rule\": \"承担部门整体支出绩效管理等试点、经验被推广，0–4 分\"}]",
     "local practice: the indicators, their weights (out of 100) and points rules, so that the comprehensive evaluation is scored the same way for every department: measured ones are computed from the cycle's records of the fiscal year's projects, entered ones are scored by the performance office from the department's self-report and evidence; the plan 二(三)3二是 pilots the comprehensive evaluation of departments (“对部门或单位的基础工作、绩效目标、绩效监控、绩效评价、结果应用、改革创新等方面进行综合评价”), and its six aspects are the six dimensions here; training is scored from the attendance records: a department that sent staff to at least one of the year's training sessions gets the full 5 points, since the plan 三(四) asks the finance bureaus to train the budget departments every year and attendance, not the bureau's judgement, is what the records show",
     "[{\"code\": \"basic.rules\", \"dimension\": \"basic\", \"name\": \"绩效管理制度建设\", \"name_en\": \"Performance management rules\", \"weight\": 5, \"measure\": \"entered\", \"formula\": \"entered\", \"rule\": \"建立并执行本部门预算绩效管理制度办法，0–5 分，财政局依据部门自评报告和佐证材料评分\"}, {\"code\": \"basic.organisation\", \"dimension\": \"basic\", \"name\": \"组织机构与人员保障\", \"name_en\": \"Organisation and staff\", \"weight\": 5, \"measure\": \"entered\", \"formula\": \"entered\", \"rule\": \"明确绩效管理机构、职责和人员，0–5 分\"}, {\"code\": \"basic.training\", \"dimension\": \"basic\", \"name\": \"参加绩效管理培训\", \"name_en\": \"Performance management training attended\", \"weight\": 5, \"measure\": \"training_attended\", \"formula\": \"ratio\", \"no_data\": \"zero\", \"rule\": \"本年度财政部门举办的绩效管理培训班，本部门至少参加一次得 5 分，未参加得 0 分（以培训出勤记录为准）\"}, {\"code\": \"goals.declared_on_time\", \"dimension\": \"goals\", \"name\": \"绩效目标按时申报\", \"name_en\": \"Goals declared on time\", \"weight\": 8, \"measure\": \"declarations_on_time\", \"formula\": \"ratio\", \"no_data\": \"zero\", \"rule\": \"按期申报的项目数 ÷ 有编报期限的项目数 × 8（以编报任务的期限为准）；无申报得 0 分\"}, {\"code\": \"goals.complete\", \"dimension\": \"goals\", \"name\": \"绩效目标完整\", \"name_en\": \"Goals complete (output and effect indicators)\", \"weight\": 4, \"measure\": \"declarations_complete\", \"formula\": \"ratio\", \"no_data\": \"zero\", \"rule\": \"同时含产出指标和效益指标的目标数 ÷ 申报目标数 × 4；无申报得 0 分\"}, {\"code\": \"goals.first_review\", \"dimension\": \"goals\", \"name\": \"绩效目标一次审核通过\", \"name_en\": \"Goals passing their first review (优/良)\", \"weight\": 8, \"measure\": \"review_first_pass\", \"formula\": \"ratio\", \"no_data\": \"zero\", \"rule\": \"首次财政审核为优或良的目标数 ÷ 经审核的目标数 × 8；无审核得 0 分\"}, {\"code\": \"monitoring.reports_on_time\", \"dimension\": \"monitoring\", \"name\": \"监控报告按时报送\", \"name_en\": \"Monitoring reports filed on time\", \"weight\": 10, \"measure\": \"monitoring_on_time\", \"formula\": \"deduct\", \"per_item\": 2, \"no_data\": \"zero\", \"rule\": \"满分 10 分，每逾期报送一份监控报告扣 2 分，扣完为止；无监控报告得 0 分\"}, {\"code\": \"monitoring.corrective_on_time\", \"dimension\": \"monitoring\", \"name\": \"预警按期纠偏\", \"name_en\": \"Warnings answered within the deadline\", \"weight\": 10, \"measure\": \"corrective_on_time\", \"formula\": \"ratio\", \"no_data\": \"full\", \"rule\": \"期限内提出纠偏措施的预警数 ÷ 已到期的预警数 × 10；无预警得满分\"}, {\"code\": \"evaluation.self_coverage\", \"dimension\": \"evaluation\", \"name\": \"单位自评全覆盖\", \"name_en\": \"Self-evaluation of every project\", \"weight\": 10, \"measure\": \"self_evaluation_coverage\", \"formula\": \"ratio\", \"no_data\": \"zero\", \"rule\": \"完成单位自评的项目数 ÷ 应自评项目数（已批复执行、未停止的项目）× 10；无应评项目得 0 分\"}, {\"code\": \"evaluation.spot_check\", \"dimension\": \"evaluation\", \"name\": \"自评质量（财政抽查）\", \"name_en\": \"Self-evaluation quality (bureau spot-checks)\", \"weight\": 10, \"measure\": \"spot_check_agreement\", \"formula\": \"ratio\", \"tolerance\": 5, \"no_data\": \"full\", \"rule\": \"抽查得分不低于自评得分 5 分以上的项目数 ÷ 被抽查项目数 × 10；未被抽查得满分\"}, {\"code\": \"results.rectified_on_time\", \"dimension\": \"results\", \"name\": \"整改按时到位\", \"name_en\": \"Rectifications done on time\", \"weight\": 6, \"measure\": \"rectification_on_time\", \"formula\": \"ratio\", \"no_data\": \"full\", \"rule\": \"按期报送并经核查到位的整改数 ÷ 已到期的整改数 × 6；无需整改得满分\"}, {\"code\": \"results.budget_applied\", \"dimension\": \"results\", \"name\": \"评价结果应用于预算\", \"name_en\": \"Results applied to the budget\", \"weight\": 5, \"measure\": \"budget_decisions_confirmed\", \"formula\": \"ratio\", \"no_data\": \"zero\", \"rule\": \"经确认的预算安排建议数 ÷ 预算安排建议数 × 5；无建议得 0 分\"}, {\"code\": \"results.disclosed\", \"dimension\": \"results\", \"name\": \"绩效信息公开\", \"name_en\": \"Results disclosed\", \"weight\": 4, \"measure\": \"results_disclosed\", \"formula\": \"ratio\", \"no_data\": \"zero\", \"rule\": \"已公开的评价结果数 ÷ 预算安排建议数 × 4；无建议得 0 分\"}, {\"code\": \"reform.innovation\", \"dimension\": \"reform\", \"name\": \"改革创新举措\", \"name_en\": \"Reform and innovation\", \"weight\": 6, \"measure\": \"entered\", \"formula\": \"entered\", \"rule\": \"在绩效管理方法、指标体系、信息化等方面的创新做法及成效，0–6 分\"}, {\"code\": \"reform.pilots\", \"dimension\": \"reform\", \"name\": \"试点与经验推广\", \"name_en\": \"Pilots and shared practice\", \"weight\": 4, \"measure\": \"entered\", \"formula\": \"entered\", \"rule\": \"承担部门整体支出绩效管理等试点、经验被推广，0–4 分\"}]"),
)


def _reseed() -> None:
    rules = sa.table('rules', sa.column('key', sa.String), sa.column('fiscal_year', sa.Integer),
                     sa.column('level', sa.String), sa.column('value', sa.Text), sa.column('source', sa.Text))
    bind = op.get_bind()
    for key, year, level, before_source, before_value, now_source, now_value in _RESEEDED:
        where = (rules.c.key == key, rules.c.fiscal_year == year, rules.c.level == level)
        row = bind.execute(sa.select(rules.c.value, rules.c.source).where(*where)).first()
        if row is not None and row.source == before_source and json.loads(row.value) == json.loads(before_value):
            bind.execute(rules.update().where(*where).values(value=now_value, source=now_source))


def upgrade() -> None:
    op.create_table('training_sessions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('organiser', sa.String(length=200), nullable=False),
    sa.Column('recorded_by', sa.String(length=50), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_sessions'))
    )
    op.create_index('ix_training_sessions_year_level', 'training_sessions', ['year', 'level'])
    op.create_table('training_attendance',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('attendee_group', sa.String(length=20), nullable=False),
    sa.Column('department_id', sa.String(length=50), nullable=True),
    sa.Column('head_count', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sa.String(length=50), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'],
                            name=op.f('fk_training_attendance_session_id_training_sessions')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                            name=op.f('fk_training_attendance_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_attendance'))
    )
    op.create_index('ix_training_attendance_session', 'training_attendance', ['session_id'])
    op.create_table('performance_reports',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('department_id', sa.String(length=50), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('period_label', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('content', sa.Text(), nullable=True),
    sa.Column('filed_at', sa.DateTime(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('decision', sa.String(length=20), nullable=True),
    sa.Column('review_comment', sa.Text(), nullable=True),
    sa.Column('instance_id', sa.String(length=36), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                            name=op.f('fk_performance_reports_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_performance_reports')),
    sa.UniqueConstraint('department_id', 'period_start', name='uq_performance_reports_department_period')
    )
    _reseed()


def downgrade() -> None:
    op.drop_table('performance_reports')
    op.drop_index('ix_training_attendance_session', table_name='training_attendance')
    op.drop_table('training_attendance')
    op.drop_index('ix_training_sessions_year_level', table_name='training_sessions')
    op.drop_table('training_sessions')
