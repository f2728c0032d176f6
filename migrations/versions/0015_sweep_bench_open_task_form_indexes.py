"""open tasks indexed by form and task id; mails indexed by instance and kind

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 00:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

OPEN = sa.text("state = 'ready'")


def upgrade() -> None:
    # The daily reminder sweep looks up the open tasks of the announced forms (rule reminders.announce_forms) by
    # form key or task id: without these it reads every open task each day. Partial: only open tasks are indexed.
    op.create_index('ix_tasks_open_form_key', 'tasks', ['form_key'], unique=False,
                    postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index('ix_tasks_open_bpmn_id', 'tasks', ['bpmn_id'], unique=False,
                    postgresql_where=OPEN, sqlite_where=OPEN)
    # …and skips those already announced: one probe per task into the mails of its instance.
    op.create_index('ix_notifications_instance_kind', 'notifications', ['instance_id', 'kind'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_notifications_instance_kind', table_name='notifications')
    op.drop_index('ix_tasks_open_bpmn_id', table_name='tasks')
    op.drop_index('ix_tasks_open_form_key', table_name='tasks')
