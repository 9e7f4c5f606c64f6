"""enrollment: one ENROLLED row per subject per term enrollment (partial unique index)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 11:41:55.613621

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

ENROLLED = sa.text("status = 'ENROLLED'")


def upgrade():
    # The service's row lock already prevents double enrollment; this is the final guard.
    with op.batch_alter_table('subject_enrollments', schema=None) as batch_op:
        batch_op.create_index('uq_subject_enrollments_enrolled_once', ['term_enrollment_id', 'subject_id'],
                              unique=True, postgresql_where=ENROLLED, sqlite_where=ENROLLED)


def downgrade():
    with op.batch_alter_table('subject_enrollments', schema=None) as batch_op:
        batch_op.drop_index('uq_subject_enrollments_enrolled_once', postgresql_where=ENROLLED,
                            sqlite_where=ENROLLED)
