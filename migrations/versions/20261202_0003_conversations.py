"""conversations: hand-offs to people, the outbox, case-status lookups, the citizen's rating

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 09:00:00

New columns on existing tables are added in place (ALTER TABLE ... ADD
COLUMN), as in 0002, so SQLite never rebuilds `cases` under its references.
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OPEN_HANDOFF_SQL = "status IN ('waiting', 'active')"


def _case_columns():
    return [
        sa.Column("citizen_rating", sa.SmallInteger()),
        sa.Column("citizen_comment", sa.Text()),
        sa.Column("rated_at", sa.DateTime()),
        sa.Column("callback_requested_at", sa.DateTime()),
    ]


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime()),
        sa.Column("accepted_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("ended_at", sa.DateTime()),
        sa.Column("ended_by", sa.String(128)),
    )
    op.create_index("ix_handoffs_case_id", "handoffs", ["case_id"])
    op.create_index("uq_handoffs_open", "handoffs", ["channel", "sender_id"], unique=True,
                    postgresql_where=sa.text(OPEN_HANDOFF_SQL), sqlite_where=sa.text(OPEN_HANDOFF_SQL))
    op.create_index("ix_handoffs_waiting", "handoffs", ["status", "requested_at"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("target", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(128), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id")),
        sa.Column("author", sa.String(16)),
        sa.Column("author_name", sa.String(128)),
        sa.Column("text", sa.Text()),
        sa.Column("payload", sa.JSON()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime()),
    )
    op.create_index("ix_outbox_case_id", "outbox", ["case_id"])
    op.create_index("ix_outbox_conversation", "outbox", ["channel", "recipient", "id"])
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"])

    op.create_table(
        "status_lookups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_number", sa.String(32), nullable=False),
        sa.Column("requester", sa.String(160), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_status_lookups_case", "status_lookups", ["case_number", "at"])
    op.create_index("ix_status_lookups_requester", "status_lookups", ["requester", "at"])

    for column in _case_columns():
        op.add_column("cases", column)
    op.add_column("case_messages", sa.Column("author", sa.String(128)))


def downgrade() -> None:
    op.drop_column("case_messages", "author")
    for column in reversed(_case_columns()):
        op.drop_column("cases", column.name)
    for name, table in (("ix_status_lookups_requester", "status_lookups"), ("ix_status_lookups_case", "status_lookups"),
                        ("ix_outbox_due", "outbox"), ("ix_outbox_conversation", "outbox"),
                        ("ix_outbox_case_id", "outbox"), ("ix_handoffs_waiting", "handoffs"),
                        ("uq_handoffs_open", "handoffs"), ("ix_handoffs_case_id", "handoffs")):
        op.drop_index(name, table_name=table)
    for table in ("status_lookups", "outbox", "handoffs"):
        op.drop_table(table)
