"""evaluation kinds (project / transfer / enterprise) on evaluations; sub-unit evaluations by their department

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('evaluations', sa.Column('evaluation_kind', sa.String(length=20), nullable=True))
    op.add_column('evaluations', sa.Column('evaluated_subject', sa.String(length=200), nullable=True))
    op.create_table('subunit_evaluations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('department_id', sa.String(length=50), nullable=False),
    sa.Column('unit_id', sa.String(length=50), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('score', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('grade', sa.String(length=4), nullable=True),
    sa.Column('findings', sa.Text(), nullable=True),
    sa.Column('started_by', sa.String(length=100), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('graded_by', sa.String(length=100), nullable=True),
    sa.Column('graded_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                            name=op.f('fk_subunit_evaluations_department_id_departments')),
    sa.ForeignKeyConstraint(['unit_id'], ['departments.id'], name=op.f('fk_subunit_evaluations_unit_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subunit_evaluations')),
    sa.UniqueConstraint('fiscal_year', 'unit_id', name='uq_subunit_evaluations_year_unit')
    )
    op.create_index('ix_subunit_evaluations_year_level', 'subunit_evaluations', ['fiscal_year', 'level'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_subunit_evaluations_year_level', table_name='subunit_evaluations')
    op.drop_table('subunit_evaluations')
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.drop_column('evaluated_subject')
        batch_op.drop_column('evaluation_kind')
