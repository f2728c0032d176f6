"""the level that decides an escalation: the supervisors or, handed one level up, the bureau's leadership

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 23:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('escalations', sa.Column('level', sa.String(length=20), nullable=False,
                                           server_default='supervisor'))
    op.add_column('escalations', sa.Column('escalated_at', sa.DateTime(), nullable=True))
    op.add_column('escalations', sa.Column('escalated_by', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('escalations') as batch:
        batch.drop_column('escalated_by')
        batch.drop_column('escalated_at')
        batch.drop_column('level')
