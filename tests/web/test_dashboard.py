"""The dashboard: figures by type, line and status, success rate, overdue, filters, CSV and the 研判报告."""
from __future__ import annotations

import csv
import datetime as dt
import io

from hotline.cases import queries, service
from hotline.cases.models import User
from hotline.timeutil import local_date
from tests.web.conftest import login


def _resolve(sessions, number, outcome):
    with sessions.begin() as session:
        zhang = session.query(User).filter_by(username="zhang").one()
        service.claim(session, number, zhang)
        service.resolve(session, queries.get_case(session, number), zhang, outcome=outcome, difficulty="general",
                        agreement="双方同意赔偿两千元" if outcome == "success" else None,
                        next_path="court" if outcome == "failed" else None)


def _today():
    return dt.datetime.utcnow()


def test_figures_success_rate_and_overdue_for_the_chosen_range(client, tokens, sessions, make_case):
    now = _today()
    numbers = [make_case("楼上漏水", "neighbor", now=now - dt.timedelta(hours=2)) for _ in range(3)]
    make_case("老板欠薪三个月", "labor", now=now - dt.timedelta(hours=1))
    make_case("很久以前的邻里纠纷", "neighbor", now=now - dt.timedelta(days=90))  # outside the last 30 days
    late = make_case("物业乱收费", "property_mgmt", now=now - dt.timedelta(days=10))  # 7-day deadline passed
    _resolve(sessions, numbers[0], "success")
    _resolve(sessions, numbers[1], "failed")
    login(client, "zhang")
    data = client.get("/dashboard/data").get_json()
    assert data["total"] == 5
    types = {i["name"]: i["count"] for i in data["dispute_type"]["items"]}
    assert types == {"邻里纠纷": 3, "劳动争议": 1, "物业纠纷": 1}
    assert data["success"] == {"handled": 2, "settled": 1, "rate": 0.5, "rate_text": "50.0%"}
    assert data["overdue"]["count"] == 1 and data["overdue"]["cases"][0]["number"] == late
    statuses = {i["name"]: i["count"] for i in data["status"]["items"]}
    assert statuses["事件反馈"] == 2 and statuses["信息上报"] == 3
    assert sum(i["count"] for i in data["trend"]["items"]) == 5
    # The 30 local days ending today, as the date fields mean them (not UTC dates).
    days = [i["day"] for i in data["trend"]["items"]]
    assert len(days) == 30 and days[-1] == local_date(now).isoformat() == data["filter"]["to"]
    assert all(":" not in i["name"] for key in ("route", "tier", "line") for i in data[key]["items"])
    wide = client.get(f"/dashboard/data?from={(now - dt.timedelta(days=120)).date()}").get_json()
    assert wide["total"] == 6


def test_filters_by_line_and_bad_filters_are_refused_in_chinese(client, tokens, sessions, make_case):
    make_case("楼上漏水", "neighbor")
    login(client, "zhang")
    assert client.get("/dashboard/data?line=110").get_json()["total"] == 0
    for query, words in [("from=2026-13-01", "日期格式"), ("from=2026-12-10&to=2026-12-01", "不能晚于"),
                         ("line=999", "热线应为"), ("area=nowhere", "没有这个地区"),
                         ("from=2020-01-01&to=2026-01-01", "不超过")]:
        answer = client.get(f"/dashboard/data?{query}")
        assert answer.status_code == 400 and words in answer.get_json()["error"]["message"], query
    page = client.get("/dashboard?from=garbage")
    assert page.status_code == 400 and "日期格式" in page.get_data(as_text=True)


def test_csv_export_and_the_printable_report(client, tokens, sessions, make_case):
    for i in range(3):
        make_case(f"宏达建筑拖欠工资（工人{i}）", "labor", location="石桥镇", respondent="宏达建筑公司")
    login(client, "zhang")
    exported = client.get("/dashboard/export.csv")
    assert exported.mimetype == "text/csv" and "attachment" in exported.headers["Content-Disposition"]
    text = exported.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["指标", "项目", "数量"] and ["纠纷类型", "劳动争议", "3"] in rows
    week = client.get("/dashboard/report?period=week").get_data(as_text=True)
    assert "矛盾纠纷周研判报告" in week and "劳动争议" in week and "群体性纠纷" in week and "宏达建筑公司" in week
    assert "石桥镇" in week and "<script>" not in week
    month = client.get("/dashboard/report?period=month").get_data(as_text=True)
    assert "矛盾纠纷月研判报告" in month


def test_a_mediators_figures_cover_their_organisation_and_below(client, sessions, make_case):
    import yaml
    from werkzeug.security import generate_password_hash

    from hotline.cases.organisations import load
    from tests.cases.conftest import EXAMPLE

    with sessions.begin() as session:
        load(session, yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
        session.query(User).filter_by(username="zhou.hong").one().password_hash = generate_password_hash(
            "password-123")
    make_case("邻居家的狗半夜一直叫", location="城关镇幸福村")
    make_case("邻居家的鸡跑进我家菜地", location="石桥镇李家村")
    login(client, "zhou.hong")
    data = client.get("/dashboard/data").get_json()
    assert data["total"] == 1 and data["area"]["items"][0]["count"] == 1
