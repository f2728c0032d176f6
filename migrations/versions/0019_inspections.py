"""inspections and inspection_findings: financial supervision inspections of departments and special transfer funds

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 05:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inspections',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.String(length=50), nullable=False),
    sa.Column('target_kind', sa.String(length=20), nullable=False),
    sa.Column('fund_name', sa.String(length=200), nullable=True),
    sa.Column('fund_amount', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('aspects', sa.Text(), nullable=False),
    sa.Column('members', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('inspected_at', sa.DateTime(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('acknowledgement', sa.Text(), nullable=True),
    sa.Column('rectification_status', sa.String(length=20), nullable=True),
    sa.Column('rectification_due_on', sa.Date(), nullable=True),
    sa.Column('rectification_plan', sa.Text(), nullable=True),
    sa.Column('rectification_submitted_at', sa.DateTime(), nullable=True),
    sa.Column('rectification_verified_at', sa.DateTime(), nullable=True),
    sa.Column('rectification_verdict', sa.String(length=20), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_inspections_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections')),
    sa.UniqueConstraint('instance_id', name=op.f('uq_inspections_instance_id'))
    )
    op.create_table('inspection_findings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('aspect', sa.String(length=30), nullable=False),
    sa.Column('severity', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('requires_rectification', sa.Boolean(), nullable=False),
    sa.Column('rectification_instance_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_inspection_findings_inspection_id_inspections')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_findings')),
    sa.UniqueConstraint('inspection_id', 'position', name='uq_inspection_findings_position')
    )


def downgrade() -> None:
    op.drop_table('inspection_findings')
    op.drop_table('inspections')
