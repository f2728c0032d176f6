"""project facts: each project's latest goal status, latest warning level and evaluation kinds on its row, kept by
triggers (service/models/project_facts.py)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 04:50:00
"""
import sqlalchemy as sa
from alembic import op

from service.models import project_facts

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('goal_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('warning_level', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('evaluation_kinds', sa.String(length=100), server_default='', nullable=False))
    bind = op.get_bind()
    project_facts.recompute_all(bind)
    project_facts.install(bind)


def downgrade() -> None:
    project_facts.remove(op.get_bind())
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('evaluation_kinds')
        batch_op.drop_column('warning_level')
        batch_op.drop_column('goal_status')
