"""events are append-only: triggers refuse UPDATE and DELETE

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 22:35:00
"""
from alembic import op

from service.bpm import audit_guard

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    audit_guard.install(op.get_bind())


def downgrade() -> None:
    audit_guard.remove(op.get_bind())
