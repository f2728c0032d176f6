"""trainings and performance reports: the bureau's training sessions and their attendance (the plan 三(四)); the
departments' periodic performance management reports (the plan 二(一)4)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 05:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


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


def downgrade() -> None:
    op.drop_table('performance_reports')
    op.drop_index('ix_training_attendance_session', table_name='training_attendance')
    op.drop_table('training_attendance')
    op.drop_index('ix_training_sessions_year_level', table_name='training_sessions')
    op.drop_table('training_sessions')
