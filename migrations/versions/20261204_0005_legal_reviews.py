"""legal reviews: a lawyer's or admin's approval of, or comment on, one version of a legal FAQ entry

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 16:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "legal_reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False, server_default=""),
        sa.Column("law_version", sa.String(200), nullable=False, server_default=""),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_legal_reviews_entry", "legal_reviews", ["entry_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_legal_reviews_entry", table_name="legal_reviews")
    op.drop_table("legal_reviews")
