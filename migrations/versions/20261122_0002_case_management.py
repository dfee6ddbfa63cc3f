"""case management: organisations and areas, groups, parties, documents, tokens, job locks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 09:00:00

New columns on existing tables are added with ALTER TABLE ... ADD COLUMN on
both databases, never by SQLite's batch "copy and move": rebuilding `cases`
would DROP it while `case_events` rows point at it, which fails with
foreign keys on.
"""
import json
import re

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OPEN_STATUS_SQL = "status IN ('reported', 'registered', 'assigned', 'in_progress', 'reopened')"
QUEUE_SQL = "assignee_id IS NULL AND status IN ('assigned', 'registered', 'reopened', 'reported')"

def _case_columns():
    return [
        sa.Column("warning_rank", sa.SmallInteger(), nullable=False, server_default="0"),
        sa.Column("respondent", sa.String(255)),
        sa.Column("respondent_key", sa.String(255)),
        sa.Column("place_key", sa.String(255)),
        sa.Column("people_count", sa.Integer()),
        sa.Column("overdue_flagged_at", sa.DateTime()),
        sa.Column("escalations", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("transferred_to", sa.String(32)),
        sa.Column("outcome", sa.String(16)),
        sa.Column("agreement", sa.Text()),
        sa.Column("next_path", sa.String(16)),
        sa.Column("difficulty", sa.String(16)),
        sa.Column("resolved_at", sa.DateTime()),
        sa.Column("rating", sa.SmallInteger()),
        sa.Column("evaluation", sa.Text()),
        sa.Column("closed_at", sa.DateTime()),
    ]


CASE_REFERENCES = [("organisation_id", "organisations"), ("group_id", "case_groups")]


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _add_reference(table: str, column: str, target: str) -> None:
    if _sqlite():
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER REFERENCES {target} (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(f"fk_{table}_{column}", table, target, [column], ["id"])


def upgrade() -> None:
    op.create_table(
        "areas",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("areas.id")),
        sa.Column("aliases", sa.JSON(), nullable=False),
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("tier", sa.String(16)),
        sa.Column("area_id", sa.Integer(), sa.ForeignKey("areas.id")),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("organisations.id")),
        sa.Column("routes", sa.JSON(), nullable=False),
        sa.Column("specialisms", sa.JSON(), nullable=False),
        sa.Column("phone", sa.String(32)),
        sa.Column("address", sa.String(255)),
    )
    op.create_table(
        "case_groups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dispute_type", sa.String(32), nullable=False),
        sa.Column("respondent", sa.String(255)),
        sa.Column("place", sa.String(255)),
        sa.Column("head_count", sa.Integer(), nullable=False),
        sa.Column("warning_level", sa.String(8)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "case_parties",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("phone", sa.String(32)),
        sa.Column("note", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_case_parties_case_id", "case_parties", ["case_id"])
    op.create_table(
        "case_documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_case_documents_case_id", "case_documents", ["case_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16)),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime()),
    )
    op.create_table(
        "job_locks",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(128)),
        sa.Column("expires_at", sa.DateTime()),
    )

    for column in _case_columns():
        op.add_column("cases", column)
    for column, target in CASE_REFERENCES:
        _add_reference("cases", column, target)
    _add_reference("users", "organisation_id", "organisations")
    op.add_column("users", sa.Column("specialisms", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("case_events", sa.Column("detail", sa.JSON()))

    op.create_index("ix_cases_queue_order", "cases", [sa.text("warning_rank DESC"), "deadline_at", "id"],
                    postgresql_where=sa.text(QUEUE_SQL), sqlite_where=sa.text(QUEUE_SQL))
    op.create_index("ix_cases_open_deadline", "cases", ["deadline_at"],
                    postgresql_where=sa.text(OPEN_STATUS_SQL), sqlite_where=sa.text(OPEN_STATUS_SQL))
    op.create_index("ix_cases_assignee", "cases", ["assignee_id", "status"])
    op.create_index("ix_cases_group_place", "cases", ["dispute_type", "place_key", "created_at"])
    op.create_index("ix_cases_group_respondent", "cases", ["dispute_type", "respondent_key", "created_at"])
    op.create_index("ix_cases_group", "cases", ["group_id"])
    op.create_index("ix_cases_organisation", "cases", ["organisation_id", "status"])

    _backfill()
    _append_only_triggers()


def _backfill() -> None:
    """Existing cases get their queue rank, place key and head count."""
    op.execute("UPDATE cases SET warning_rank = CASE warning_level WHEN 'orange' THEN 3 WHEN 'red' THEN 2 "
               "WHEN 'yellow' THEN 1 ELSE 0 END")
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, location, risk_signals FROM cases")).all()
    for case_id, location, signals in rows:
        # The same normalisation as hotline.cases.groups.normalise_key, frozen here on purpose:
        # a migration must not change when the application code does.
        place = re.sub(r"[\s\u3000，。,.、；;：:（）()\[\]【】\"'“”‘’-]+", "", location or "") or None
        if isinstance(signals, str):
            signals = json.loads(signals)
        counts = [int(s.split(":", 1)[1]) for s in signals or [] if str(s).startswith("people_count:")
                  and s.split(":", 1)[1].isdigit()]
        bind.execute(sa.text("UPDATE cases SET place_key = :place, people_count = :count WHERE id = :id"),
                     {"place": place, "count": max(counts) if counts else None, "id": case_id})


def _append_only_triggers() -> None:
    if _sqlite():
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER case_events_no_{verb.lower()} BEFORE {verb} ON case_events "
                       "BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END")
    else:
        op.execute("CREATE FUNCTION hotline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$")
        op.execute("CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events "
                   "FOR EACH ROW EXECUTE FUNCTION hotline_append_only()")


def downgrade() -> None:
    if _sqlite():
        op.execute("DROP TRIGGER IF EXISTS case_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS case_events_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS case_events_append_only ON case_events")
        op.execute("DROP FUNCTION IF EXISTS hotline_append_only()")
    for name in ("ix_cases_organisation", "ix_cases_group", "ix_cases_group_respondent", "ix_cases_group_place",
                 "ix_cases_assignee", "ix_cases_open_deadline", "ix_cases_queue_order"):
        op.drop_index(name, table_name="cases")
    if not _sqlite():
        op.drop_constraint("fk_users_organisation_id", "users", type_="foreignkey")
        for column, _ in CASE_REFERENCES:
            op.drop_constraint(f"fk_cases_{column}", "cases", type_="foreignkey")
    # SQLite (3.35+) drops a plain column in place; a REFERENCES column is not indexed, so it may go too.
    op.drop_column("case_events", "detail")
    op.drop_column("users", "specialisms")
    op.drop_column("users", "organisation_id")
    for column, _ in CASE_REFERENCES:
        op.drop_column("cases", column)
    for column in reversed(_case_columns()):
        op.drop_column("cases", column.name)
    for table in ("job_locks", "api_tokens", "case_documents", "case_parties", "case_groups", "organisations",
                  "areas"):
        op.drop_table(table)
