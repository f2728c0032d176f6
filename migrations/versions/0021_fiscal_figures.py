"""fiscal_figures: a level's public spending and 民生 spending of a fiscal year, entered by the bureau

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 05:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fiscal_figures',
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('public_spending', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('livelihood_spending', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('entered_by', sa.String(length=100), nullable=False),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('fiscal_year', 'level', name=op.f('pk_fiscal_figures'))
    )


def downgrade() -> None:
    op.drop_table('fiscal_figures')
