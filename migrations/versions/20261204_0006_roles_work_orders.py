"""roles and seats: the organisation lead flag, work orders between seats, dashboard and phone indexes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 16:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# What the dashboard groups by (models.DASHBOARD_COLUMNS as of this revision).
DASHBOARD_COLUMNS = ("dispute_type", "tier", "line", "route_to", "status", "warning_level", "outcome",
                     "organisation_id", "deadline_at")


def upgrade() -> None:
    op.add_column("users", sa.Column("is_lead", sa.Boolean(), nullable=False, server_default=sa.text("false")))
    op.create_table(
        "work_orders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("from_line", sa.String(8), nullable=False),
        sa.Column("to_line", sa.String(16), nullable=False),
        sa.Column("caller_text", sa.Text(), nullable=False),
        sa.Column("triage", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("caller_phone", sa.String(32)),
        sa.Column("pii_consent", sa.Boolean(), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id")),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("received_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("received_at", sa.DateTime()),
    )
    op.create_index("ix_work_orders_inbox", "work_orders", ["to_line", "status", "id"])
    # On PostgreSQL the dashboard's figures are index-only scans of a date range (hotline/cases/stats.py).
    op.create_index("ix_cases_created", "cases", ["created_at"], postgresql_include=list(DASHBOARD_COLUMNS))
    op.create_index("ix_cases_contact_phone", "cases", ["contact_phone"])


def downgrade() -> None:
    op.drop_index("ix_cases_contact_phone", table_name="cases")
    op.drop_index("ix_cases_created", table_name="cases")
    op.drop_index("ix_work_orders_inbox", table_name="work_orders")
    op.drop_table("work_orders")
    # In place (SQLite 3.35+), as 0002 does: a batch rebuild would rewrite users' column references.
    op.drop_column("users", "is_lead")
