"""channels: one inbound path (media, the client that sent it), outbound delivery state, look-ups per client

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 16:00:00

Columns are added in place (ALTER TABLE ... ADD COLUMN), as in 0002 and 0003.
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("inbound_messages", sa.Column("media", sa.JSON()))
    # A keyed hash of the network client (web chat): limits that a new conversation id cannot reset.
    op.add_column("inbound_messages", sa.Column("client", sa.String(64)))
    op.add_column("inbound_messages", sa.Column("claimed_at", sa.DateTime()))
    op.create_index("ix_inbound_pending", "inbound_messages", ["status", "id"])
    op.create_index("ix_inbound_conversation", "inbound_messages", ["channel", "sender_id", "id"])
    op.add_column("outbox", sa.Column("provider_id", sa.String(64)))
    op.add_column("outbox", sa.Column("delivered_at", sa.DateTime()))
    op.create_index("ix_outbox_provider_id", "outbox", ["provider_id"])
    op.add_column("status_lookups", sa.Column("client", sa.String(64)))
    op.create_index("ix_status_lookups_client", "status_lookups", ["client", "at"])
    op.create_table(
        "channel_tokens",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("channel_tokens")
    op.drop_index("ix_status_lookups_client", table_name="status_lookups")
    op.drop_column("status_lookups", "client")
    op.drop_index("ix_outbox_provider_id", table_name="outbox")
    op.drop_column("outbox", "delivered_at")
    op.drop_column("outbox", "provider_id")
    op.drop_index("ix_inbound_conversation", table_name="inbound_messages")
    op.drop_index("ix_inbound_pending", table_name="inbound_messages")
    op.drop_column("inbound_messages", "claimed_at")
    op.drop_column("inbound_messages", "client")
    op.drop_column("inbound_messages", "media")
