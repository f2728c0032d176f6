"""the comparator of a library indicator: the direction its standard values are met in

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 02:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# The seeded third-level indicators that are met at or below their standard value (seeds/libraries/indicators.json):
# a rate of deaths, unemployment, cost growth, misused funds; a unit cost; a response time.
_AT_MOST = ('HLT-04', 'HLT-05', 'SOC-06', 'HOU-06', 'TRF-06', 'PSF-03', 'ADM-04', 'URB-06')


def upgrade() -> None:
    op.add_column('library_indicators', sa.Column('comparator', sa.String(length=10), nullable=True))
    indicators = sa.table('library_indicators', sa.column('code', sa.String), sa.column('level', sa.Integer),
                          sa.column('quantitative', sa.Boolean), sa.column('scope', sa.String),
                          sa.column('comparator', sa.String))
    seeded = (indicators.c.level == 3) & (indicators.c.scope == 'common')
    op.execute(indicators.update().where(seeded, indicators.c.quantitative.is_(False)).values(comparator='qualitative'))
    op.execute(indicators.update().where(seeded, indicators.c.quantitative.is_(True), indicators.c.code.in_(_AT_MOST))
               .values(comparator='<='))
    op.execute(indicators.update().where(seeded, indicators.c.quantitative.is_(True),
                                         indicators.c.code.not_in(_AT_MOST)).values(comparator='>='))


def downgrade() -> None:
    op.drop_column('library_indicators', 'comparator')
