"""daily roll-up for the dashboard: case counts per local day (and month), line, organisation and figure value

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 20:00:00

The table is filled from the cases already there, so the dashboard is right
from the first request after the upgrade (`hotline rollup rebuild` recounts
it again at any time). On PostgreSQL the partial index of open cases also
carries created_at, line and organisation, so the dashboard's overdue count
is an index-only scan.
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# What the roll-up counts (hotline/cases/rollup.py DIMENSIONS as of this revision).
DIMENSIONS = ("status", "dispute_type", "tier", "route_to", "warning_level", "outcome", "location")
# Local days are China Standard Time, UTC+8 (timestamps are stored as naive UTC).
LOCAL_DAY = {"postgresql": "CAST(created_at + interval '8 hours' AS DATE)",
             "sqlite": "date(created_at, '+8 hours')"}
MONTH_START = {"postgresql": "CAST(date_trunc('month', day) AS DATE)", "sqlite": "date(day, 'start of month')"}
OPEN_STATUS_SQL = "status IN ('reported', 'registered', 'assigned', 'in_progress', 'reopened')"


def upgrade() -> None:
    op.create_table(
        "case_daily_counts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("month", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("line", sa.String(8)),
        sa.Column("organisation_id", sa.Integer()),
        sa.Column("dimension", sa.String(16), nullable=False),
        sa.Column("value", sa.String(255)),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("merged", sa.Boolean(), nullable=False, server_default=sa.text("false")),
    )
    op.create_index("ix_case_daily_counts_figure", "case_daily_counts", ["dimension", "month", "day"],
                    postgresql_include=["line", "organisation_id", "value", "n"])
    op.create_index("ix_case_daily_counts_unmerged", "case_daily_counts", ["day"],
                    postgresql_where=sa.text("NOT merged"), sqlite_where=sa.text("NOT merged"))
    dialect = op.get_bind().dialect.name
    day = LOCAL_DAY[dialect]
    for dimension in DIMENSIONS:
        op.execute(
            "INSERT INTO case_daily_counts (day, month, line, organisation_id, dimension, value, n, merged) "
            f"SELECT {day}, false, line, organisation_id, '{dimension}', {dimension}, count(*), true FROM cases "
            f"GROUP BY {day}, line, organisation_id, {dimension}")
    month = MONTH_START[dialect]
    op.execute(
        "INSERT INTO case_daily_counts (day, month, line, organisation_id, dimension, value, n, merged) "
        f"SELECT {month}, true, line, organisation_id, dimension, value, sum(n), true FROM case_daily_counts "
        f"WHERE NOT month GROUP BY {month}, line, organisation_id, dimension, value")
    _open_deadline_index(include=["created_at", "line", "organisation_id"])


def _open_deadline_index(include) -> None:
    op.drop_index("ix_cases_open_deadline", table_name="cases")
    op.create_index("ix_cases_open_deadline", "cases", ["deadline_at"], postgresql_include=include,
                    postgresql_where=sa.text(OPEN_STATUS_SQL), sqlite_where=sa.text(OPEN_STATUS_SQL))


def downgrade() -> None:
    _open_deadline_index(include=[])
    op.drop_index("ix_case_daily_counts_unmerged", table_name="case_daily_counts")
    op.drop_index("ix_case_daily_counts_figure", table_name="case_daily_counts")
    op.drop_table("case_daily_counts")
