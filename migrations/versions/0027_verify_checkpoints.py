"""verify checkpoints: where `jixiao audit verify` last replayed an instance whole, signed with the secret key

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 14:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per instance, replaced when a later verify replays further; no foreign key: a checkpoint is a cache
    # of verify's own work, and one whose instance is gone is simply never read.
    op.create_table(
        'verify_checkpoints',
        sa.Column('instance_id', sa.String(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('chain_hash', sa.String(length=64), nullable=False),
        sa.Column('engine_state', sa.LargeBinary(), nullable=False),
        sa.Column('replay_state', sa.LargeBinary(), nullable=False),
        sa.Column('key_id', sa.String(length=16), nullable=False),
        sa.Column('mac', sa.String(length=64), nullable=False),
        sa.Column('written_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('instance_id'),
    )


def downgrade() -> None:
    op.drop_table('verify_checkpoints')
