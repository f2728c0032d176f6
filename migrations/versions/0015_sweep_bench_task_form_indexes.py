"""tasks indexed by form key and task id; mails indexed by instance and kind

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 00:45:00
"""
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The daily reminder sweep looks up the open tasks of the announced forms (rule reminders.announce_forms) by
    # form key or task id: without these it reads every open task each day. Not partial (WHERE state = 'ready'):
    # the query binds the state as a parameter, which neither SQLite nor a generic PostgreSQL plan matches to it.
    op.create_index('ix_tasks_form_key_state', 'tasks', ['form_key', 'state'], unique=False)
    op.create_index('ix_tasks_bpmn_id_state', 'tasks', ['bpmn_id', 'state'], unique=False)
    # …and skips those already announced: one index-only probe per task into the mails of its instance (the key
    # is in the index so that the probe reads no table row).
    op.create_index('ix_notifications_instance_kind', 'notifications', ['instance_id', 'kind', 'idempotency_key'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_notifications_instance_kind', table_name='notifications')
    op.drop_index('ix_tasks_bpmn_id_state', table_name='tasks')
    op.drop_index('ix_tasks_form_key_state', table_name='tasks')
