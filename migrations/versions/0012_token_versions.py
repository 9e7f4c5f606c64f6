"""API tokens end with the owner's credentials (password change, reset, deactivation)

Revision ID: token_versions
Revises: heartbeat
Create Date: 2026-12-05 01:00:00

Both columns start at 1, so every existing token keeps working until its owner's next
password change, reset or deactivation.
"""
from alembic import op
import sqlalchemy as sa


revision = 'token_versions'
down_revision = 'heartbeat'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credentials_version', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credentials_version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('credentials_version')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('credentials_version')
