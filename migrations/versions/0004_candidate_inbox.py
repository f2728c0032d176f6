"""candidate inbox: named candidates and claims in task_candidates, partial covering indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 22:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_OPEN = sa.text("assignee IS NULL")


def upgrade() -> None:
    with op.batch_alter_table('task_candidates', schema=None) as batch_op:
        batch_op.drop_index('ix_task_candidates_group_dept_due')
        batch_op.drop_index('ix_task_candidates_group_due')
        batch_op.alter_column('group_name', existing_type=sa.String(length=50), type_=sa.String(length=101),
                              existing_nullable=False)
        batch_op.add_column(sa.Column('assignee', sa.String(length=100), nullable=True))
    op.execute("UPDATE task_candidates SET assignee = (SELECT tasks.assignee FROM tasks "
               "WHERE tasks.id = task_candidates.task_id)")
    conn = op.get_bind()
    named = conn.execute(sa.text("SELECT id, candidate_users, department_id, due_at, priority, assignee FROM tasks "
                                 "WHERE state = 'ready' AND candidate_users IS NOT NULL")).all()
    rows = [{"task_id": r.id, "group_name": "@" + u, "department_id": r.department_id, "due_at": r.due_at,
             "priority": r.priority, "assignee": r.assignee}
            for r in named for u in dict.fromkeys(r.candidate_users.split(",")) if u]
    if rows:
        conn.execute(sa.text("INSERT INTO task_candidates (task_id, group_name, department_id, due_at, priority, "
                             "assignee) VALUES (:task_id, :group_name, :department_id, :due_at, :priority, :assignee)"),
                     rows)
    with op.batch_alter_table('task_candidates', schema=None) as batch_op:
        batch_op.create_index('ix_task_candidates_open_group_dept_due',
                              ['group_name', 'department_id', 'due_at', 'priority', 'task_id'], unique=False,
                              postgresql_where=_OPEN, sqlite_where=_OPEN)
        batch_op.create_index('ix_task_candidates_open_group_due', ['group_name', 'due_at', 'priority', 'task_id'],
                              unique=False, postgresql_where=_OPEN, sqlite_where=_OPEN)


def downgrade() -> None:
    with op.batch_alter_table('task_candidates', schema=None) as batch_op:
        batch_op.drop_index('ix_task_candidates_open_group_due')
        batch_op.drop_index('ix_task_candidates_open_group_dept_due')
    op.execute("DELETE FROM task_candidates WHERE group_name LIKE '@%'")
    with op.batch_alter_table('task_candidates', schema=None) as batch_op:
        batch_op.drop_column('assignee')
        batch_op.alter_column('group_name', existing_type=sa.String(length=101), type_=sa.String(length=50),
                              existing_nullable=False)
        batch_op.create_index('ix_task_candidates_group_due', ['group_name', 'due_at', 'priority'], unique=False)
        batch_op.create_index('ix_task_candidates_group_dept_due', ['group_name', 'department_id', 'due_at', 'priority'],
                              unique=False)
