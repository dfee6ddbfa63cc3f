"""Alembic: head, down to the first schema and up again, on both databases, keeping the cases."""
from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, select

from hotline.cases.models import Case
from hotline.cli import alembic_config
from hotline.db import make_engine


def test_downgrade_and_upgrade_keep_cases(db_url, make_case):
    from hotline.db import make_sessionmaker

    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        number = make_case(session, "老板拖欠我们五个人的工资，准备联名上访", "labor", location="石桥镇").number
    engine.dispose()
    config = alembic_config(db_url)
    command.downgrade(config, "0001")
    engine = make_engine(db_url)
    assert "case_groups" not in inspect(engine).get_table_names()
    engine.dispose()
    command.upgrade(config, "head")
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as session:
        case = session.execute(select(Case).where(Case.number == number)).unique().scalar_one()
        # Backfilled by the migration from what 0001 kept.
        assert (case.warning_rank, case.place_key, case.people_count) == (2, "石桥镇", 5)
    names = {i["name"] for i in inspect(engine).get_indexes("cases")}
    assert {"ix_cases_queue_order", "ix_cases_open_deadline", "ix_cases_group_place"} <= names
    engine.dispose()
