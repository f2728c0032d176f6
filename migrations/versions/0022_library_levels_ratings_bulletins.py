"""libraries kept by level (the city's and each district's own), expert engagement ratings, agency bulletins,
the government a key result goes to, and a project's disclosures (goals at approval, results when final)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 05:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

_LIBRARIES = ('library_indicators', 'experts', 'agencies', 'supervision_members')


def upgrade() -> None:
    # The owning district's finance bureau; NULL is the city (市级): every row kept so far is the city's.
    for table in _LIBRARIES:
        op.add_column(table, sa.Column('district_id', sa.String(length=50), nullable=True))
    op.add_column('expert_engagements', sa.Column('rated_by', sa.String(length=100), nullable=True))
    op.add_column('expert_engagements', sa.Column('rated_at', sa.DateTime(), nullable=True))
    op.add_column('budget_decisions', sa.Column('reported_to', sa.String(length=200), nullable=True))
    op.create_table('agency_bulletins',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('period', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('entries', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_bulletins')),
    sa.UniqueConstraint('year', 'period', name='uq_agency_bulletins_year_period')
    )
    op.create_table('disclosures',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.String(length=50), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('disclosed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_disclosures_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disclosures')),
    sa.UniqueConstraint('project_id', 'stage', name='uq_disclosures_project_stage')
    )


def downgrade() -> None:
    op.drop_table('disclosures')
    op.drop_table('agency_bulletins')
    with op.batch_alter_table('budget_decisions') as batch:
        batch.drop_column('reported_to')
    with op.batch_alter_table('expert_engagements') as batch:
        batch.drop_column('rated_at')
        batch.drop_column('rated_by')
    for table in reversed(_LIBRARIES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('district_id')
