"""the inbox reads ready tasks by index: tasks.owner (the "mine" tab: assignee or owner) and every task_candidates
row by group (claimed or not: what a user may see through a group or by name, the "all" tab)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 14:20:00
"""
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_tasks_owner', 'tasks', ['owner', 'state'], unique=False)
    op.create_index('ix_task_candidates_group_dept', 'task_candidates',
                    ['group_name', 'department_id', 'assignee', 'task_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_task_candidates_group_dept', table_name='task_candidates')
    op.drop_index('ix_tasks_owner', table_name='tasks')
