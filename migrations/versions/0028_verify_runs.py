"""verify runs: the worker's nightly verification of every history and its findings

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 22:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'verify_runs',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('checked', sa.Integer(), nullable=False),
        sa.Column('from_checkpoint', sa.Integer(), nullable=False),
        sa.Column('findings', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('day'),
    )
    op.create_table(
        'verify_findings',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('run_id', sa.String(length=36), nullable=False),
        sa.Column('instance_id', sa.String(length=36), nullable=True),
        sa.Column('seq', sa.Integer(), nullable=True),
        sa.Column('problem', sa.Text(), nullable=False),
        sa.Column('table_name', sa.String(length=50), nullable=True),
        sa.Column('row_id', sa.String(length=100), nullable=True),
        sa.Column('column_name', sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(['run_id'], ['verify_runs.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_verify_findings_run', 'verify_findings', ['run_id', 'id'])


def downgrade() -> None:
    op.drop_index('ix_verify_findings_run', table_name='verify_findings')
    op.drop_table('verify_findings')
    op.drop_table('verify_runs')
