"""the district finance bureau of a district department

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 01:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain column (checked by the directory): a foreign key would need SQLite to rebuild `departments`, which
    # every other table references.
    op.add_column('departments', sa.Column('district_id', sa.String(length=50), nullable=True))


def downgrade() -> None:
    op.drop_column('departments', 'district_id')
