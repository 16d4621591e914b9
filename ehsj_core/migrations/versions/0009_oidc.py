"""Single sign-on: the identity provider's issuer and subject of a user (issue 11).

A user who signs in with OpenID Connect is found by (issuer, subject), never by name or e-mail
(both can change or be reused); one pair belongs to one user. Local users have neither.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("oidc_issuer", sa.String(255), nullable=True))
        batch.add_column(sa.Column("oidc_subject", sa.String(255), nullable=True))
        batch.create_index("ux_users_oidc_identity", ["oidc_issuer", "oidc_subject"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_index("ux_users_oidc_identity")
        batch.drop_column("oidc_subject")
        batch.drop_column("oidc_issuer")
