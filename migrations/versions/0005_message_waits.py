"""message_waits: the messages each instance waits for

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 22:58:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('message_waits',
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name=op.f('fk_message_waits_instance_id_instances'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('instance_id', 'name', name=op.f('pk_message_waits'))
    )
    with op.batch_alter_table('message_waits', schema=None) as batch_op:
        batch_op.create_index('ix_message_waits_name', ['name'], unique=False)


def downgrade() -> None:
    op.drop_table('message_waits')
