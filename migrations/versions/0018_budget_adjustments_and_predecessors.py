"""budget_adjustments and projects.predecessor_project_id: in-year adjustments and continued projects

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 05:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('budget_adjustments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('project_id', sa.String(length=50), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('handling', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('toward', sa.String(length=300), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_budget_adjustments_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_adjustments')),
    sa.UniqueConstraint('key', name=op.f('uq_budget_adjustments_key'))
    )
    op.create_index('ix_budget_adjustments_year', 'budget_adjustments', ['fiscal_year'], unique=False)
    with op.batch_alter_table('projects') as batch:
        batch.add_column(sa.Column('predecessor_project_id', sa.String(length=50), nullable=True))
        batch.create_foreign_key(op.f('fk_projects_predecessor_project_id_projects'), 'projects',
                                 ['predecessor_project_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('projects') as batch:
        batch.drop_constraint(op.f('fk_projects_predecessor_project_id_projects'), type_='foreignkey')
        batch.drop_column('predecessor_project_id')
    op.drop_index('ix_budget_adjustments_year', table_name='budget_adjustments')
    op.drop_table('budget_adjustments')
