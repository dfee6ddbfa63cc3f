"""The hotline seat: live triage, a case in one click, work orders between 12345 / 110 / 12348, caller look-up."""
from __future__ import annotations

import pytest

from hotline.cases.accounts import create_user
from hotline.config import Settings
from hotline.web import create_app
from tests.web.conftest import login


@pytest.fixture
def app(db_url):
    # No Rasa server at this address: the seat triages with the rules alone and says so (the model's
    # answer through the real server is covered by tests/browser/test_console_pages.py).
    app = create_app(Settings(database_url=db_url, secret_key="test", rasa_url="http://127.0.0.1:9",
                              rasa_timeout_seconds=1.0))
    yield app
    app.extensions["hotline.engine"].dispose()


@pytest.fixture
def seats(app, sessions):
    with sessions.begin() as session:
        create_user(session, "wang", "password-123", "operator", "王话务员")
        create_user(session, "chen", "password-123", "lawyer", "陈律师")
        create_user(session, "zhao", "password-123", "viewer", "赵科长")
    operator, lawyer = app.test_client(), app.test_client()
    return {"operator": (operator, login(operator, "wang")), "lawyer": (lawyer, login(lawyer, "chen"))}


def post(seat, path, body):
    client, csrf = seat
    return client.post(path, json=body, headers={"X-CSRF-Token": csrf})


def test_the_seat_page_starts_on_the_right_line(seats):
    operator, _ = seats["operator"]
    page = operator.get("/operator").get_data(as_text=True)
    assert "热线坐席" in page and "12345政务服务热线" in page and "<script>" not in page
    lawyer, _ = seats["lawyer"]
    assert "12348公共法律服务热线" in lawyer.get("/operator").get_data(as_text=True)
    assert "110报警服务台" in operator.get("/operator?line=110").get_data(as_text=True)


def test_triage_highlights_the_trigger_words_and_names_everything_in_chinese(seats):
    text = "隔壁老王拿着菜刀在我家门口，我在石桥镇李家村"
    panel = post(seats["operator"], "/operator/triage", {"text": text, "line": "12345"}).get_json()
    assert panel["source"] == "rules"
    assert panel["warning"]["name"] == "红色预警" and panel["route"]["name"] == "110公安机关"
    assert [text[s:e] for s, e in panel["highlights"]] == ["拿着菜刀"]
    assert {"name": "持有凶器", "words": ["拿着菜刀"]} in panel["signals"]
    kinds = {e["name"]: e["value"] for e in panel["entities"]}
    assert kinds["当事人"] == "邻居" and "石桥镇李家村" in kinds["地点"]
    assert "neighbor" not in str(panel["entities"]) and "danger:" not in str(panel["signals"])


@pytest.fixture(scope="module")
def model_parse(local_parser):
    return local_parser.parse


def test_the_panel_shows_the_top_three_dispute_types_with_their_confidence(seats, sessions, model_parse, monkeypatch):
    from hotline.cases.models import Case
    from hotline.triage import DISPUTE_TYPES
    from hotline.web import operator as seat_views

    monkeypatch.setattr(seat_views, "_parse_fn", lambda: model_parse)
    text = "老板拖欠我们三个月工资一直不给，还说要把我们辞退，我们该怎么办"
    panel = post(seats["operator"], "/operator/triage", {"text": text, "line": "12345"}).get_json()
    assert panel["source"] == "model"
    types = panel["dispute_types"]
    names = [t["name"] for t in types]
    assert len(types) == 3 and len(set(names)) == 3, types
    assert names[0] == "劳动争议" and set(names) <= set(DISPUTE_TYPES.values())
    confidences = [t["confidence"] for t in types]
    assert 1 >= confidences[0] >= confidences[1] >= confidences[2] >= 0 and confidences[0] > 0.5
    # A case opened from the seat keeps the ranking in its triage record, its own type first.
    opened = post(seats["operator"], "/operator/cases", {"text": text, "line": "12345"})
    assert opened.status_code == 201, opened.get_json()
    with sessions() as session:
        case = session.query(Case).filter_by(number=opened.get_json()["number"]).one()
        assert case.dispute_type == "labor"
        assert [t["code"] for t in case.triage["dispute_type_ranking"]] == [t["code"] for t in types]


def test_a_legal_question_at_12348_gets_the_answer_with_its_citations(seats):
    panel = post(seats["lawyer"], "/operator/triage",
                 {"text": "公司一直不跟我签劳动合同，我能要求双倍工资吗", "line": "12348"}).get_json()
    legal = panel["legal"]
    assert legal is not None and legal["citations"], panel
    assert any("劳动合同法" in c["law"] for c in legal["citations"])


def test_refusals_are_chinese_and_lose_nothing(seats, app):
    operator, csrf = seats["operator"]
    assert operator.post("/operator/triage", json={"text": "x", "line": "12345"}).status_code == 403
    cases = [
        ({"text": "x" * 2001, "line": "12345"}, 422, "太长"),
        ({"text": "楼上漏水", "line": "999"}, 422, "请选择本坐席的热线"),
        ({"text": ["楼上漏水"], "line": "12345"}, 422, "应是文字"),
    ]
    for body, status, words in cases:
        answer = post(seats["operator"], "/operator/triage", body)
        assert answer.status_code == status and words in answer.get_json()["error"]["message"], body
    bad = operator.post("/operator/cases", data="not json", headers={"X-CSRF-Token": csrf,
                                                                     "Content-Type": "application/json"})
    assert bad.status_code == 400 and "JSON" in bad.get_json()["error"]["message"]
    empty = post(seats["operator"], "/operator/cases", {"text": "  ", "line": "12345"})
    assert empty.status_code == 422 and "来电人说的内容" in empty.get_json()["error"]["message"]
    phone = post(seats["operator"], "/operator/cases", {"text": "楼上漏水", "line": "12345", "phone": "abc",
                                                        "pii_consent": True})
    assert phone.status_code == 422 and "电话号码" in phone.get_json()["error"]["message"]


def test_open_a_case_from_the_seat_with_the_operators_choices(seats, sessions):
    from hotline.cases.models import Case

    answer = post(seats["operator"], "/operator/cases", {
        "text": "物业乱收停车费，每月多收两百", "line": "12345", "dispute_type": "property_mgmt",
        "location": "阳光花园小区", "phone": "138-1234-5678", "pii_consent": True, "note": "来电人情绪平稳"})
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["status"] == "核实立案" and body["url"].endswith(body["number"])
    with sessions() as session:
        case = session.query(Case).filter_by(number=body["number"]).one()
        assert (case.channel, case.line, case.dispute_type, case.contact_phone) == (
            "seat", "12345", "property_mgmt", "13812345678")
        assert [e.action for e in case.events] == ["open", "register"] and "来电人情绪平稳" in case.events[1].note
    no_consent = post(seats["operator"], "/operator/cases", {"text": "我电话13812345678，楼上漏水", "line": "12345",
                                                             "phone": "13812345678", "pii_consent": False})
    with sessions() as session:
        case = session.query(Case).filter_by(number=no_consent.get_json()["number"]).one()
        assert case.contact_phone is None and "13812345678" not in case.description


def test_transfer_to_12348_arrives_at_the_12348_seat_with_the_callers_words(seats, sessions):
    from hotline.cases.models import Case

    sent = post(seats["operator"], "/operator/orders", {
        "text": "公司不签劳动合同还拖欠工资，想问能不能要双倍工资", "line": "12345", "to_line": "12348",
        "note": "来电人要律师解答", "phone": "13812345678", "pii_consent": True})
    assert sent.status_code == 201, sent.get_json()
    order = sent.get_json()
    lawyer, _ = seats["lawyer"]
    inbox = lawyer.get("/operator/inbox?line=12348").get_json()["items"]
    assert [o["id"] for o in inbox] == [order["id"]]
    arrived = inbox[0]
    assert arrived["from_name"] == "12345政务服务热线" and arrived["status_name"] == "待接单"
    assert "双倍工资" in arrived["text"] and arrived["note"] == "来电人要律师解答" and arrived["phone"] == "13812345678"
    assert arrived["warning"] == "无预警"
    taken = post(seats["lawyer"], f"/operator/orders/{order['id']}/receive", {})
    assert taken.get_json()["status_name"] == "已接单" and taken.get_json()["received_by"] == "陈律师"
    again = post(seats["operator"], f"/operator/orders/{order['id']}/receive", {})
    assert again.status_code == 409 and "陈律师" in again.get_json()["error"]["message"]
    opened = post(seats["lawyer"], "/operator/cases", {"text": arrived["text"], "line": "12348",
                                                       "order_id": order["id"], "phone": "13812345678",
                                                       "pii_consent": True})
    assert opened.status_code == 201
    assert [o["status_name"] for o in lawyer.get("/operator/inbox?line=12348").get_json()["items"]] == ["已立案"]
    assert lawyer.get(f"/operator/inbox?line=12348&after={order['id']}").get_json()["items"] == []
    with sessions() as session:
        assert session.query(Case).filter_by(number=opened.get_json()["number"]).one().line == "12348"
    same = post(seats["operator"], "/operator/orders", {"text": "楼上漏水", "line": "12345", "to_line": "12345"})
    assert same.status_code == 422 and "本线路" in same.get_json()["error"]["message"]
    nowhere = post(seats["operator"], "/operator/orders", {"text": "楼上漏水", "line": "12345", "to_line": "119"})
    assert nowhere.status_code == 422


def test_without_consent_the_callers_number_does_not_travel(seats):
    sent = post(seats["operator"], "/operator/orders", {
        "text": "我电话13812345678，有人拿刀在楼下", "line": "12345", "to_line": "110",
        "phone": "13812345678", "pii_consent": False}).get_json()
    assert sent["phone"] is None and "13812345678" not in sent["text"] and "138****5678" in sent["text"]


def test_look_up_a_callers_earlier_cases_by_phone_and_record_the_look_up(seats, sessions):
    from hotline.cases.models import CaseEvent

    first = post(seats["operator"], "/operator/cases", {"text": "楼上漏水泡坏了我家吊顶", "line": "12345",
                                                        "phone": "13812345678", "pii_consent": True}).get_json()
    operator, _ = seats["operator"]
    found = operator.get("/operator/lookup?phone=+86 138 1234 5678").get_json()["items"]
    assert [c["number"] for c in found] == [first["number"]] and found[0]["status"] == "核实立案"
    assert operator.get("/operator/lookup?phone=13900000000").get_json()["items"] == []
    assert operator.get("/operator/lookup?phone=").status_code == 422
    with sessions() as session:
        views = session.query(CaseEvent).filter_by(action="pii_view").all()
        assert [(v.actor, v.note) for v in views] == [("user:wang", "坐席按来电号码查询历史案件")]
