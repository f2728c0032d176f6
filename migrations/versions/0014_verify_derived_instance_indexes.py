"""jobs and escalations indexed by instance

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 23:30:00
"""
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # `jixiao audit verify` reads an instance's jobs and escalations with its other derived rows (one query per
    # table for a batch of instances); without these it scans both tables once per batch.
    op.create_index('ix_jobs_instance', 'jobs', ['instance_id'], unique=False)
    op.create_index('ix_escalations_instance', 'escalations', ['instance_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_escalations_instance', table_name='escalations')
    op.drop_index('ix_jobs_instance', table_name='jobs')
