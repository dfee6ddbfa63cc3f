"""Who may do what: every role against every route (table-driven), scope by organisation, holders, phone numbers."""
from __future__ import annotations

import re

import pytest

from hotline.cases.accounts import ROLES, create_user
from hotline.cases.service import Intake, open_case
from hotline.cases.tokens import create_token
from hotline.config import Settings
from hotline.triage import build_record
from hotline.web import create_app
from hotline.web.permissions import ANONYMOUS, DENIED, RULES
from tests.web.conftest import csrf_of, login

# What each role may do, written out by hand as the product describes it; the rules table must agree.
EXPECTED = {
    "admin": {"console.accounts", "console.claim", "api.claim", "api.close", "operator.seat", "dashboard.page"},
    "mediator": {"console.claim", "console.resolve", "console.reply", "api.claim", "api.resolve", "dashboard.page"},
    "operator": {"operator.seat", "operator.send_order", "operator.open_case", "api.assign", "api.close"},
    "lawyer": {"operator.seat", "operator.send_order", "operator.open_case", "console.case_page"},
    "viewer": {"dashboard.page", "dashboard.export", "console.queue_page", "console.case_page", "api.get_case"},
}
FORBIDDEN = {
    "admin": set(),
    "mediator": {"console.accounts", "operator.seat", "api.close", "api.assign"},
    "operator": {"console.claim", "console.resolve", "console.reply", "console.queue_page", "console.accounts",
                 "api.claim", "api.resolve"},
    "lawyer": {"console.claim", "console.queue_page", "api.claim", "api.close", "api.assign", "console.accounts"},
    "viewer": {"console.claim", "console.claim_next", "console.resolve", "console.reply", "console.warning",
               "console.transfer", "console.reveal", "console.conversation", "operator.seat", "console.accounts",
               "api.claim", "api.transfer", "api.warning_level", "api.add_party", "api.create_case"},
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One app over SQLite with a person of every role, their tokens, and an unplaced case."""
    from hotline.db import make_engine, make_sessionmaker
    from tests.conftest import migrate

    url = f"sqlite:///{tmp_path_factory.mktemp('perm') / 'hotline.db'}"
    migrate(url)
    app = create_app(Settings(database_url=url, secret_key="test"))
    sessions = make_sessionmaker(make_engine(url))
    tokens = {}
    with sessions.begin() as session:
        for role in ROLES:
            create_user(session, role, "password-123", role)
            _, tokens[role] = create_token(session, f"{role}-token", username=role)
        record = build_record("楼上漏水，电话13812345678", {"name": "report_dispute", "confidence": 0.9},
                              {"code": "neighbor", "confidence": 0.9})
        case, _ = open_case(
            session,
            "bot",
            Intake(
                text="楼上漏水，电话13812345678", triage=record, key="perm:1", contact_phone="13812345678",
                pii_consent=True,
            ),
        )
        number = case.number
    yield app, tokens, number
    app.extensions["hotline.engine"].dispose()


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _url(rule, number):
    values = {"number": number, "group_id": 1, "order_id": 1, "filename": "console.css", "username": "viewer",
              "entry_id": "labor.unpaid_wages", "channel": "sms", "provider_user_id": "+8613812345678"}
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(r"<(?:[a-z]+:)?%s>" % name, str(values[name]), path)
    return path


def test_every_route_has_a_rule_and_every_rule_a_route(world):
    app, _, _ = world
    endpoints = {rule.endpoint for rule, _ in _routes(app)}
    assert sorted(endpoints - set(RULES)) == [], "routes without a rule in hotline/web/permissions.py"
    assert sorted(set(RULES) - endpoints) == [], "rules for routes that do not exist"


@pytest.mark.parametrize("role", ROLES)
def test_the_table_says_what_the_product_says(role):
    for endpoint in EXPECTED[role]:
        assert role in RULES[endpoint], f"{role} should reach {endpoint}"
    for endpoint in FORBIDDEN[role]:
        assert role not in RULES[endpoint], f"{role} should not reach {endpoint}"


def _refused_by_role(response) -> bool:
    if response.status_code != 403:
        return False
    if response.is_json:
        return response.get_json()["error"]["code"] == "role_forbidden"
    return DENIED in response.get_data(as_text=True)


@pytest.mark.parametrize("role", (ANONYMOUS, *ROLES))
def test_every_role_against_every_route(world, role):
    """Allowed: the route is reached (whatever it then answers). Not allowed: 403 (signed in) or sign-in first."""
    app, tokens, number = world
    client = app.test_client()
    csrf = None
    if role != ANONYMOUS:
        csrf = login(client, role)  # a signed-in browser sends its form token: the role is what refuses
    checked = 0
    for rule, method in _routes(app):
        if rule.endpoint in ("console.logout", "console.login"):
            continue  # they change who is signed in; tested on their own
        url = _url(rule, number)
        headers = {"Authorization": f"Bearer {tokens[role]}"} if url.startswith("/api/") and role != ANONYMOUS \
            else {"X-CSRF-Token": csrf} if csrf else {}
        response = client.open(url, method=method, headers=headers, json={} if method == "POST" else None)
        allowed = role in RULES[rule.endpoint]
        where = f"{role} {method} {url} -> {response.status_code}"
        if allowed:
            assert not _refused_by_role(response), where
            assert response.status_code < 500, where
        elif role == ANONYMOUS:
            assert response.status_code in (302, 401), where
            if response.status_code == 302:
                assert "/console/login" in response.headers["Location"], where
        else:
            assert _refused_by_role(response), where
        response.close()  # a static file is streamed from an open file
        checked += 1
    assert checked > 60


def test_login_keeps_the_page_asked_for_and_refuses_other_sites(client, tokens):
    first = client.get("/dashboard?line=110")
    assert first.status_code == 302 and "next=/dashboard?line%3D110" in first.headers["Location"].replace("%2F", "/")
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    response = client.post(first.headers["Location"], data={"username": "zhang", "password": "password-123",
                                                            "csrf": csrf})
    assert response.headers["Location"].endswith("/dashboard?line=110")
    client.post("/console/logout", data={"csrf": csrf_of(client)})
    page = client.get("/console/login?next=//evil.example/x").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    response = client.post("/console/login?next=//evil.example/x",
                           data={"username": "wang", "password": "password-123", "csrf": csrf})
    assert response.headers["Location"].endswith("/operator"), "an operator lands on the seat, not elsewhere"


# --- scope, holders, numbers, accounts -------------------------------------------------------------


@pytest.fixture
def county(sessions):
    """The example organisations file: a county centre, towns, village rooms; people in each; a town lead."""
    import yaml
    from sqlalchemy import select
    from werkzeug.security import generate_password_hash

    from hotline.cases.models import Organisation, User
    from hotline.cases.organisations import load
    from tests.cases.conftest import EXAMPLE

    with sessions.begin() as session:
        load(session, yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
        for user in session.execute(select(User)).scalars():
            user.password_hash = generate_password_hash("password-123")
        xingfu = session.execute(select(Organisation).where(Organisation.code == "xingfu-room")).scalar_one()
        town = xingfu.parent
        lead = create_user(session, "town.lead", "password-123", "mediator", "镇调委会主任",
                           organisation_code=town.code, is_lead=True)
        create_user(session, "town.member", "password-123", "mediator", "镇调解员", organisation_code=town.code)
        return {"village_user": "zhou.hong", "town": town.code, "lead": lead.username}


def test_a_mediator_sees_their_organisation_and_the_tiers_below_not_another_town(client, county, make_case):
    ours = make_case("邻居家的狗半夜一直叫", location="城关镇幸福村")
    theirs = make_case("邻居家的鸡跑进我家菜地", location="石桥镇李家村")
    login(client, county["village_user"])
    assert client.get(f"/console/cases/{ours}").status_code == 200
    hidden = client.get(f"/console/cases/{theirs}")
    assert hidden.status_code == 404 and "不在您的办理范围内" in hidden.get_data(as_text=True)
    csrf = csrf_of(client)
    claimed = client.post(f"/console/cases/{theirs}/claim", data={"csrf": csrf})
    assert claimed.status_code == 404
    # The town's mediators see the village's case too (the tiers below).
    other = client.application.test_client()
    login(other, "town.member")
    assert other.get(f"/console/cases/{ours}").status_code == 200
    assert theirs not in other.get("/console").get_data(as_text=True)


def test_only_the_holder_or_the_lead_changes_a_held_case(app, county, make_case):
    number = make_case("邻居家的狗半夜一直叫，说了也不管", location="城关镇幸福村")
    holder, colleague, lead = app.test_client(), app.test_client(), app.test_client()
    csrf_h, csrf_c, csrf_l = login(holder, "zhou.hong"), login(colleague, "town.member"), login(lead, "town.lead")
    holder.post(f"/console/cases/{number}/claim", data={"csrf": csrf_h})
    refused = colleague.post(f"/console/cases/{number}/warning",
                             data={"csrf": csrf_c, "level": "red", "reason": "我觉得很严重"})
    page = colleague.get(refused.headers["Location"]).get_data(as_text=True)
    assert "只有承办人、所在单位负责人或管理员可以操作" in page and "预警升级" not in page
    allowed = lead.post(f"/console/cases/{number}/warning",
                        data={"csrf": csrf_l, "level": "red", "reason": "主任研判：有激化风险"})
    assert "预警等级已调整" in lead.get(allowed.headers["Location"]).get_data(as_text=True)


def test_a_system_token_cannot_transfer_or_add_parties_to_a_held_case(client, tokens, make_case):
    number = make_case("楼上噪音")
    client.post(f"/api/cases/{number}/claim", headers=tokens["zhang"])
    moved = client.post(f"/api/cases/{number}/transfer", headers=tokens["system"], json={"to": "110", "reason": "x"})
    assert moved.status_code == 403 and "承办人" in moved.get_json()["error"]["message"]
    party = client.post(f"/api/cases/{number}/parties", headers=tokens["li"],
                        json={"role": "respondent", "name": "楼上住户"})
    assert party.status_code == 403
    assert client.get(f"/api/cases/{number}", headers=tokens["zhang"]).get_json()["status"] == "in_progress"


def test_phone_numbers_only_for_roles_that_need_them_and_every_view_is_recorded(app, sessions, tokens):
    from hotline.cases.models import CaseEvent

    with sessions.begin() as session:
        create_user(session, "reader", "password-123", "viewer")
        _, viewer_secret = create_token(session, "reader-token", username="reader")
        record = build_record("我电话13812345678，楼上漏水", {"name": "report_dispute", "confidence": 0.9},
                              {"code": "neighbor", "confidence": 0.9})
        case, _ = open_case(
            session,
            "bot",
            Intake(
                text="我电话13812345678，楼上漏水", triage=record, key="pii:1", contact_phone="13812345678",
                pii_consent=True,
            ),
        )
        number, case_id = case.number, case.id
    client = app.test_client()
    seen = client.get(f"/api/cases/{number}", headers={"Authorization": f"Bearer {viewer_secret}"}).get_json()
    assert seen["contact_phone"] is None and "13812345678" not in str(seen) and "138****5678" in seen["description"]
    listed = client.get("/api/cases", headers={"Authorization": f"Bearer {viewer_secret}"}).get_json()["items"]
    assert "13812345678" not in str(listed) and "138****5678" in listed[0]["description"]
    full = client.get(f"/api/cases/{number}", headers=tokens["zhang"]).get_json()
    assert full["contact_phone"] == "13812345678"
    # The console masks by default; showing the numbers is a deliberate click, recorded.
    csrf = login(client, "zhang")
    page = client.get(f"/console/cases/{number}").get_data(as_text=True)
    assert "13812345678" not in page and "138****5678" in page and "显示完整电话和证件号" in page
    shown = client.post(f"/console/cases/{number}/reveal", data={"csrf": csrf}).get_data(as_text=True)
    assert "13812345678" in shown
    with sessions() as session:
        views = session.query(CaseEvent).filter_by(case_id=case_id, action="pii_view").all()
        assert [v.actor for v in views] == ["user:zhang (token:zhang-token)", "user:zhang"]
        assert {v.note for v in views} == {"接口查看案件详情", "工作台查看完整号码"}
    reader = app.test_client()
    login(reader, "reader")
    assert "13812345678" not in reader.get(f"/console/cases/{number}").get_data(as_text=True)
    assert reader.post(f"/console/cases/{number}/reveal", data={"csrf": csrf_of(reader, f"/console/cases/{number}")}
                       ).status_code == 403


def test_the_admin_manages_accounts_and_people_change_their_own_password(app, tokens):
    admin, other = app.test_client(), app.test_client()
    csrf = login(admin, "admin")
    page = admin.get("/console/accounts").get_data(as_text=True)
    assert "账号管理" in page and "调解员" in page and "话务员" in page
    short = admin.post("/console/accounts", data={"csrf": csrf, "username": "chen", "password": "short",
                                                  "role": "lawyer"})
    assert "密码至少 8 位" in admin.get(short.headers["Location"]).get_data(as_text=True)
    made = admin.post("/console/accounts", data={"csrf": csrf, "username": "chen", "password": "lawyer-pass-1",
                                                 "role": "lawyer", "display_name": "陈律师"})
    assert "已创建账号 chen（律师（12348））" in admin.get(made.headers["Location"]).get_data(as_text=True)
    locked = admin.post("/console/accounts/admin", data={"csrf": csrf, "role": "viewer", "active": "on"})
    assert "不能停用自己的账号" in admin.get(locked.headers["Location"]).get_data(as_text=True)
    csrf_o = login(other, "chen", "lawyer-pass-1")
    assert other.get("/console/accounts").status_code == 403
    wrong = other.post("/console/account", data={"csrf": csrf_o, "current": "nope", "new": "new-pass-123",
                                                 "repeat": "new-pass-123"})
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.get_data(as_text=True)
    changed = other.post("/console/account", data={"csrf": csrf_o, "current": "lawyer-pass-1", "new": "new-pass-123",
                                                   "repeat": "new-pass-123"})
    assert changed.status_code == 303
    admin.post("/console/accounts/chen", data={"csrf": csrf, "active": "off"})
    again = app.test_client()
    page = again.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    refused = again.post("/console/login", data={"username": "chen", "password": "new-pass-123", "csrf": token})
    assert refused.status_code == 401, "a deactivated account cannot sign in"


def test_error_pages_are_chinese_in_the_console_style_and_json_under_the_api(client, tokens):
    page = client.get("/console/nowhere")
    assert page.status_code == 404 and "页面不存在" in page.get_data(as_text=True)
    assert "Not Found" not in page.get_data(as_text=True)
    api = client.get("/api/nowhere")
    assert api.status_code == 404 and api.get_json()["error"]["message"] == "没有这个接口。"
    login(client, "wang")
    denied = client.get("/console")
    assert denied.status_code == 403 and "没有权限" in denied.get_data(as_text=True)
