"""The dashboard's daily roll-up gives every figure the live count of the cases gives, after random changes."""
from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest
from sqlalchemy import func, select

from hotline.cases import queries, rollup, scope, service, stats
from hotline.cases.actors import person
from hotline.cases.errors import CaseError
from hotline.cases.lifecycle import TransitionError
from hotline.cases.models import Area, Case, CaseDailyCount, Organisation, User
from hotline.timeutil import local_date
from hotline.triage import DISPUTE_TYPES
from tests.cases.conftest import record

NOW = dt.datetime(2026, 11, 22, 8, 0, 0)  # naive UTC
LINES = [None, "12345", "110", "12348"]
PLACES = [None, "", "城关镇幸福村", "阳光花园小区", "石桥镇李家村", "河口镇王庄村", "人民路", "青山县某商场"]
TEXTS = ["楼上天天半夜拖椅子", "老板拖欠三个月工资", "隔壁盖房占了我家宅基地", "物业乱收费还不修电梯",
         "借钱不还", "出车祸对方不赔医药费", "医院手术出了事故"]
RESPONDENTS = [None, None, None, "宏达建筑公司", "幸福村村委会"]


def every_figure(session, f: stats.StatsFilter) -> dict:
    """What the dashboard and the 研判报告 show that the roll-up serves."""
    figures = {key: query(session, f) for key, query in stats.QUERIES.items()}
    figures["success"] = stats.success_rate(session, f)
    figures["places"] = stats.top_places(session, f, limit=5)
    return figures


def assert_same_figures(sessions, filters) -> None:
    with sessions() as session:
        for f in filters:
            assert f.days is not None, f
            daily = every_figure(session, f)
            live = every_figure(session, dataclasses.replace(f, live=True))
            assert daily == live, f


def rollup_rows(session):
    """The merged table as a multiset of (day, line, organisation, dimension, value) -> count."""
    rows = session.execute(select(CaseDailyCount.day, CaseDailyCount.line, CaseDailyCount.organisation_id,
                                  CaseDailyCount.dimension, CaseDailyCount.value, CaseDailyCount.n)).all()
    return sorted((str(r[0]), r[1] or "", r[2] or 0, r[3], "∅" if r[4] is None else r[4], r[5]) for r in rows)


def _open(session, rng: random.Random, i: int):
    created = NOW - dt.timedelta(seconds=rng.randrange(40 * 86400))
    if i % 9 == 0:  # around local midnight (16:00 UTC): the day a case counts on is the local one
        created = created.replace(hour=15, minute=59, second=59) + dt.timedelta(seconds=rng.choice([0, 1]))
    code = rng.choice(list(DISPUTE_TYPES))
    text = rng.choice(TEXTS) + f"（第{i}件）"
    intent = rng.choice(["report_dispute"] * 4 + ["ask_legal", "public_service"])
    case, created_now = service.open_case(
        session,
        "bot",
        service.Intake(
            text=text, triage=record(text, code, intent, line=rng.choice(LINES)), key=f"rollup:{i}",
            location=rng.choice(PLACES), respondent=rng.choice(RESPONDENTS),
            people_count=rng.choice([None, 1, 3, 12]),
        ),
        now=created,
    )
    assert created_now
    return case.number


def _change(session, rng: random.Random, number: str, admin: User, org_codes) -> None:
    """One random change through the case service (or, for columns it never changes, the ORM)."""
    case = queries.get_case(session, number)
    kind = rng.choice(["register", "assign", "claim", "resolve", "close", "reopen", "transfer_org", "transfer_out",
                       "escalate", "level", "party", "type", "line", "area", "moved", "evaluate"])
    if kind == "register":
        service.register(session, case, admin)
    elif kind == "assign":
        service.assign(session, case, admin, rng.choice(org_codes + [None]))
    elif kind == "claim":
        service.claim(session, number, admin)
    elif kind == "resolve":
        if case.status in service.QUEUE_STATUSES:
            service.claim(session, number, admin)
        outcome = rng.choice(["success", "failed"])
        service.resolve(session, number, admin, outcome=outcome, difficulty="general",
                        agreement="双方同意" if outcome == "success" else None,
                        next_path="court" if outcome == "failed" else None)
    elif kind == "close":
        service.close(session, case, admin, note="重复来电")
    elif kind == "reopen":
        service.reopen(session, case, admin, reason="群众不满意")
    elif kind == "transfer_org":
        service.transfer(session, case, admin, "org:" + rng.choice(org_codes), reason="属地管辖")
    elif kind == "transfer_out":
        service.transfer(session, case, admin, rng.choice(["110", "court"]), reason="不属调解范围")
    elif kind == "escalate":
        service.escalate(session, case, admin, reason="多次调解未果")
    elif kind == "level":
        service.set_warning_level(session, case, admin, rng.choice([None, "yellow", "red", "orange"]), "研判调整")
    elif kind == "party":
        service.add_party(session, case, admin, "respondent", rng.choice(["宏达建筑公司", "幸福村村委会", "某物业公司"]))
    elif kind == "type":  # a reviewer corrects the dispute type
        service.lock_case(session, case).dispute_type = rng.choice(list(DISPUTE_TYPES) + [None])
    elif kind == "line":
        service.lock_case(session, case).line = rng.choice(LINES)
    elif kind == "area":  # placed with another organisation through the relationship
        service.lock_case(session, case).organisation = session.execute(
            select(Organisation).where(Organisation.code == rng.choice(org_codes))).scalar_one()
    elif kind == "moved":  # recorded on another day
        service.lock_case(session, case).created_at = case.created_at + dt.timedelta(days=rng.choice([-3, 1, 7]))
    elif kind == "evaluate":
        service.evaluate(session, case, admin, rng.randint(1, 5))


@pytest.fixture
def county(orgs, people):
    """The sample county's organisations, an admin, and what the filters need."""
    with orgs.begin() as session:
        org_codes = list(session.execute(select(Organisation.code).where(Organisation.kind == "mediation")
                                         .order_by(Organisation.id)).scalars())
        areas = dict(session.execute(select(Area.code, Area.id)).all())
        mediators = {u.username: scope.visible_organisations(session, person(u))
                     for u in session.execute(select(User).where(User.role == "mediator")).scalars()}
    return {"org_codes": org_codes, "areas": areas, "scopes": mediators}


def _filters(county, first: dt.date, last: dt.date):
    wide = stats.StatsFilter.for_days(first, last)
    middle = stats.StatsFilter.for_days(first + dt.timedelta(days=10), first + dt.timedelta(days=16))
    november = stats.StatsFilter.for_days(dt.date(2026, 11, 1), dt.date(2026, 11, 30))  # one month's rows alone
    filters = [wide, middle, november, stats.StatsFilter.for_days(last, last)]
    filters += [dataclasses.replace(wide, line=line) for line in LINES if line]
    filters += [dataclasses.replace(wide, area_id=county["areas"][code]) for code in ("chengguan", "shiqiao", "xingfu")]
    filters += [dataclasses.replace(middle, line="12345", area_id=county["areas"]["chengguan"])]
    filters += [dataclasses.replace(wide, organisations=county["scopes"][name])
                for name in ("zhao.min", "sun.jianguo", "zhou.hong", "zhang")]
    return filters


def test_every_figure_from_the_rollup_equals_the_live_count(orgs, county, people):
    sessions = orgs
    rng = random.Random(13)
    with sessions.begin() as session:
        numbers = [_open(session, rng, i) for i in range(80)]
        admin = session.get(User, people["admin"])
    done = failed = 0
    for _ in range(160):
        try:
            with sessions.begin() as session:
                _change(session, rng, rng.choice(numbers), session.get(User, admin.id), county["org_codes"])
            done += 1
        except (CaseError, TransitionError):
            failed += 1  # not allowed in the case's state: rolled back, roll-up rows and all
    assert done > 80 and failed > 0

    first, last = local_date(NOW - dt.timedelta(days=50)), local_date(NOW + dt.timedelta(days=10))
    filters = _filters(county, first, last)
    with sessions() as session:
        # Not a comparison of two empty answers: the cases spread over every figure.
        wide = every_figure(session, filters[0])
        assert sum(n for _, n in wide["status"]) == 80
        assert len(wide["status"]) >= 5 and len(wide["area"]) >= 3 and len(wide["line"]) == 4
        assert wide["success"]["handled"] > 0 and len(wide["trend"]) > 30 and wide["places"]
        assert session.execute(select(func.count()).select_from(CaseDailyCount).where(~CaseDailyCount.merged)
                               ).scalar_one() > 0
    assert_same_figures(sessions, filters)

    # Merging the appended rows moves no figure, and leaves exactly what a recount from scratch gives.
    assert rollup.compact_all(sessions) > 0
    assert_same_figures(sessions, filters)
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(CaseDailyCount).where(~CaseDailyCount.merged)
                               ).scalar_one() == 0
        merged = rollup_rows(session)
    with sessions.begin() as session:
        rollup.rebuild(session)
    with sessions() as session:
        assert rollup_rows(session) == merged
    assert_same_figures(sessions, filters)


def test_a_stale_copy_of_a_case_does_not_skew_the_counts(orgs, county, people, make_case):
    """The roll-up reads the row it changes under lock, not what the session loaded earlier."""
    sessions = orgs
    with sessions.begin() as session:
        number = make_case(session, "楼上漏水", "neighbor", location="石桥镇李家村", now=NOW).number
    day = local_date(NOW)
    stale = sessions()
    copy = stale.execute(select(Case).where(Case.number == number)).scalar_one()  # read, not locked
    assert copy.warning_level == "yellow"
    with sessions.begin() as session:  # meanwhile someone raises the level
        service.set_warning_level(session, number, session.get(User, people["admin"]), "red", "来电称要动手")
    copy.warning_level = "orange"  # ... and the stale copy, still saying yellow, writes over it
    stale.commit()
    stale.close()
    f = stats.StatsFilter.for_days(day, day)
    with sessions() as session:
        assert stats.by_warning(session, f) == [("orange", 1)]
    assert_same_figures(sessions, [f])


def test_a_rolled_back_change_leaves_no_count_behind(orgs, county, people, make_case):
    sessions = orgs
    with sessions.begin() as session:
        number = make_case(session, "老板拖欠工资", "labor", now=NOW).number
    with pytest.raises(RuntimeError):
        with sessions.begin() as session:
            service.lock_case(session, number).dispute_type = "debt"
            session.flush()
            raise RuntimeError("the request failed after the change")
    f = stats.StatsFilter.for_days(local_date(NOW), local_date(NOW))
    with sessions() as session:
        assert stats.by_dispute_type(session, f) == [("labor", 1)]
    assert_same_figures(sessions, [f])


def test_the_dashboard_reads_the_rollup_only_for_whole_local_days_and_whole_months_as_months():
    day = dt.date(2026, 11, 22)
    f = stats.StatsFilter.for_days(day, day)
    assert f.start == dt.datetime(2026, 11, 21, 16, 0) and f.days == (day, day)
    assert f.local_dates() == [day] and f.spans() == [(False, day, day)]
    assert stats.StatsFilter(NOW - dt.timedelta(days=30), NOW).days is None  # read live
    year = stats.StatsFilter.for_days(dt.date(2025, 11, 23), day)
    assert year.spans() == [(False, dt.date(2025, 11, 23), dt.date(2025, 11, 30)),
                            (True, dt.date(2025, 12, 1), dt.date(2026, 10, 31)),
                            (False, dt.date(2026, 11, 1), day)]
    assert stats.StatsFilter.for_days(dt.date(2026, 2, 1), dt.date(2026, 2, 28)).spans() == [
        (True, dt.date(2026, 2, 1), dt.date(2026, 2, 28))]
    assert stats.StatsFilter.for_days(dt.date(2026, 1, 5), dt.date(2026, 2, 27)).spans() == [
        (False, dt.date(2026, 1, 5), dt.date(2026, 2, 27))]


def test_the_migration_and_the_commands_count_the_cases_already_there(db_url, sessions, make_case, people):
    from alembic import command
    from sqlalchemy import text

    from hotline.cli import alembic_config
    from tests.cases.test_cli_commands import hotline

    with sessions.begin() as session:
        for i, code in enumerate(["labor", "labor", "neighbor"]):
            make_case(session, f"纠纷{i}", code, location="石桥镇李家村", now=NOW)
    config = alembic_config(db_url)
    command.downgrade(config, "0007")  # a database from before the roll-up, with its cases
    command.upgrade(config, "head")
    f = stats.StatsFilter.for_days(local_date(NOW), local_date(NOW))
    with sessions() as session:
        assert stats.by_dispute_type(session, f) == [("labor", 2), ("neighbor", 1)]
    assert_same_figures(sessions, [f])

    # Cases changed with SQL bypass the case service, as a bulk load does: the rebuild counts them.
    with sessions.begin() as session:
        session.execute(text("UPDATE cases SET dispute_type = 'debt'"))
    rebuilt = hotline(["rollup", "rebuild"], db_url)
    assert rebuilt.returncode == 0 and "日汇总表已重新统计" in rebuilt.stderr, rebuilt.stderr
    with sessions() as session:
        assert stats.by_dispute_type(session, f) == [("debt", 3)]

    with sessions.begin() as session:
        number = session.execute(select(Case.number).order_by(Case.id)).scalars().first()
        service.set_warning_level(session, number, session.get(User, people["admin"]), "red", "来电称要动手")
    compacted = hotline(["rollup", "compact"], db_url)
    assert compacted.returncode == 0 and "合并了 4 行案件变更" in compacted.stderr, compacted.stderr
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(CaseDailyCount).where(~CaseDailyCount.merged)
                               ).scalar_one() == 0
    assert_same_figures(sessions, [f])
