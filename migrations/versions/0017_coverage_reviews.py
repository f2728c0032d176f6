"""coverage_reviews: departments escalated at year end for missing the plan's coverage targets

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 02:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('coverage_reviews',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('department_id', sa.String(length=50), nullable=False),
    sa.Column('missed', sa.Text(), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_coverage_reviews_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coverage_reviews')),
    sa.UniqueConstraint('fiscal_year', 'department_id', name='uq_coverage_reviews_year_department')
    )


def downgrade() -> None:
    op.drop_table('coverage_reviews')
