"""The mediator console: the queue with groups and overdue flags, and the buttons that move a case along."""
from __future__ import annotations

import datetime as dt

from tests.web.conftest import login


def follow(client, response):
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_queue_shows_levels_groups_overdue_and_claim_buttons(client, tokens, make_case):
    for i in range(5):
        make_case(f"宏达建筑拖欠工资（工人{i}）", "labor", location="石桥镇", respondent="宏达建筑公司")
    late = make_case("楼上噪音", "neighbor", now=dt.datetime(2020, 1, 1))
    login(client, "zhang")
    page = client.get("/console").get_data(as_text=True)
    assert "待办队列" in page and "6 件" in page
    assert page.count("群体 5 人") == 5 and "红色预警" in page
    assert "已超期" in page and late in page
    assert page.count(">认领</button>") == 6 and "认领下一件" in page
    overdue = client.get("/console?view=overdue").get_data(as_text=True)
    assert "1 件" in overdue and overdue.count(">认领</button>") == 1 and late in overdue


def test_claim_from_the_console_and_the_loser_is_told(app, tokens, make_case):
    number = make_case("邻居家装修把我家墙震裂了")
    zhang, li = app.test_client(), app.test_client()
    csrf_z, csrf_l = login(zhang, "zhang"), login(li, "li")
    page = follow(zhang, zhang.post(f"/console/cases/{number}/claim", data={"csrf": csrf_z}))
    assert "已认领" in page and "办结反馈" in page and "退回" in page
    lost = follow(li, li.post(f"/console/cases/{number}/claim", data={"csrf": csrf_l}))
    assert "已被其他调解员认领" in lost and "办结反馈" not in lost
    mine = zhang.get("/console").get_data(as_text=True)
    assert "我承办的案件" in mine and number in mine.split("我承办的案件")[1]


def test_forms_without_the_csrf_token_are_refused(client, tokens, make_case):
    number = make_case("楼上噪音")
    login(client, "zhang")
    assert client.post(f"/console/cases/{number}/claim").status_code == 400
    assert client.post(f"/console/cases/{number}/claim", data={"csrf": "forged"}).status_code == 400


def test_resolve_needs_the_agreement_then_records_the_grade(client, tokens, make_case):
    number = make_case("宅基地边界纠纷", "land")
    csrf = login(client, "zhang")
    client.post(f"/console/cases/{number}/claim", data={"csrf": csrf})
    form = {"csrf": csrf, "outcome": "success", "difficulty": "difficult", "agreement": "", "next_path": ""}
    page = follow(client, client.post(f"/console/cases/{number}/resolve", data=form))
    assert "调解成功需要填写调解协议内容" in page and "跟踪处理" in page
    form["agreement"] = "以1998年界桩为准，东侧围墙后退半米。"
    page = follow(client, client.post(f"/console/cases/{number}/resolve", data=form))
    assert "已办结" in page and "事件反馈" in page and "疑难" in page and "补贴 200 元" in page
    case_file = client.get(f"/console/cases/{number}/file").get_data(as_text=True)
    assert "以1998年界桩为准" in case_file and "人民调解协议书" in case_file


def test_escalate_and_lower_the_level_from_the_case_page(client, tokens, make_case):
    number = make_case("我们五个人被欠工资，准备联名上访", "labor")
    csrf = login(client, "li")
    page = follow(client, client.post(f"/console/cases/{number}/escalate", data={"csrf": csrf, "reason": ""}))
    assert "升级需要写明理由" in page
    page = follow(client, client.post(f"/console/cases/{number}/escalate",
                                      data={"csrf": csrf, "reason": "涉及两个镇的工人"}))
    assert "已升级" in page and "县（市）级" in page
    page = follow(client, client.post(f"/console/cases/{number}/warning",
                                      data={"csrf": csrf, "level": "yellow", "reason": "老板已承诺结清"}))
    assert "预警等级已调整" in page and "预警降级" in page and "老板已承诺结清" in page
    page = follow(client, client.post(f"/console/cases/{number}/transfer",
                                      data={"csrf": csrf, "to": "labor_arbitration", "reason": "当事人要求仲裁"}))
    assert "已转办" in page and "劳动人事争议仲裁委员会" in page


def test_case_page_shows_the_group_and_the_deadline(client, tokens, make_case):
    numbers = [make_case(f"物业乱收停车费{i}", "property_mgmt", location="阳光花园小区") for i in range(2)]
    login(client, "zhang")
    page = client.get(f"/console/cases/{numbers[0]}").get_data(as_text=True)
    assert "群体性纠纷" in page and numbers[1] in page and "（本案）" in page
    assert "办理期限" in page and "对话记录" in page and "分诊记录" in page


def test_claim_next_from_the_queue_page(client, tokens, make_case):
    make_case("楼上噪音")
    top = make_case("老板拖欠我们二十多个人三个月工资，大家说要去市政府门口拉横幅", "labor")
    csrf = login(client, "zhang")
    page = follow(client, client.post("/console/claim-next", data={"csrf": csrf}))
    assert f"已认领 {top}" in page
    # The form token of the session stays good for the next form on the page.
    assert client.post("/console/claim-next", data={"csrf": csrf}).status_code == 303


def test_my_organisation_view(client, sessions, make_case):
    import yaml
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from hotline.cases.models import User
    from hotline.cases.organisations import load
    from tests.cases.conftest import EXAMPLE

    with sessions.begin() as session:
        load(session, yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
        user = session.execute(select(User).where(User.username == "zhou.hong")).scalar_one()
        user.password_hash = generate_password_hash("password-123")
    ours = make_case("邻居家的狗半夜一直叫", location="城关镇幸福村")
    theirs = make_case("邻居家的鸡跑进我家菜地", location="石桥镇李家村")
    login(client, "zhou.hong")
    everything = client.get("/console").get_data(as_text=True)
    # A mediator sees the cases of their organisation and the tiers below it, not another town's.
    assert ours in everything and theirs not in everything and "幸福村人民调解委员会" in everything
    mine = client.get("/console?view=mine").get_data(as_text=True)
    assert ours in mine and theirs not in mine


def test_the_live_transcript_reads_only_what_came_after_and_a_wild_after_is_no_500(client, tokens, make_case, sessions):
    from hotline.cases.queries import get_case
    from hotline.cases.service import add_message

    number = make_case("邻居家装修把我家墙震裂了")
    with sessions.begin() as session:
        add_message(session, get_case(session, number), "mediator", "您好，我是张调解", author="zhang")
    login(client, "admin")
    everything = client.get(f"/console/cases/{number}/conversation?after=0").get_json()["messages"]
    assert [m["text"] for m in everything] == ["邻居家装修把我家墙震裂了", "您好，我是张调解"]
    newer = client.get(f"/console/cases/{number}/conversation?after={everything[0]['id']}").get_json()["messages"]
    assert [m["text"] for m in newer] == ["您好，我是张调解"]
    for wild in (str(10**30), "-5", "abc"):
        response = client.get(f"/console/cases/{number}/conversation?after={wild}")
        assert response.status_code == 200, wild
    assert client.get(f"/console/cases/{number}/conversation?after={10**30}").get_json()["messages"] == []
