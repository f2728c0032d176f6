"""sub-unit evaluations carry a due date (rule evaluation.subunit_working_days from the day they are opened)

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-06 08:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for an evaluation opened before this revision (it shows no due date and is never counted overdue)
    with op.batch_alter_table('subunit_evaluations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('subunit_evaluations', schema=None) as batch_op:
        batch_op.drop_column('due_on')
