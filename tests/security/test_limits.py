"""Rate limits and the body cap: guessing passwords, flooding the chat, huge bodies (memory and Redis storage)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from hotline.cases.models import Case, InboundMessage
from tests.security.conftest import build_app


def _login_form(client):
    page = client.get("/console/login").get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def _try(client, username, password):
    return client.post("/console/login", data={"username": username, "password": password,
                                                "csrf": _login_form(client)})


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_25_wrong_passwords_lock_the_account_even_for_the_right_one(db_url, tokens, storage):
    app = build_app(db_url, redis=storage == "redis")
    client = app.test_client()
    answers = [_try(client, "zhang", f"wrong-{i}").status_code for i in range(25)]
    assert answers[:10] == [401] * 10 and set(answers[10:]) == {429}
    locked = _try(client, "zhang", "password-123")
    assert locked.status_code == 429
    assert "已暂时锁定" in locked.get_data(as_text=True)
    # Another person on the same machine still signs in: the lock is per account.
    assert _try(app.test_client(), "li", "password-123").status_code == 302
    app.extensions["hotline.engine"].dispose()


def test_two_web_workers_share_the_count_through_redis(db_url, tokens):
    first = build_app(db_url, redis=True)
    second = build_app(db_url, redis=True, RATELIMIT_KEY_PREFIX=first.config["RATELIMIT_KEY_PREFIX"])
    for i in range(5):
        assert _try(first.test_client(), "zhang", f"wrong-{i}").status_code == 401
        assert _try(second.test_client(), "zhang", f"wrong-b{i}").status_code == 401
    assert _try(first.test_client(), "zhang", "password-123").status_code == 429
    for app in (first, second):
        app.extensions["hotline.engine"].dispose()


def test_right_passwords_do_not_count_towards_the_lock(client, tokens):
    for _ in range(15):
        assert _try(client, "zhang", "password-123").status_code == 302
        client.post("/console/logout", data={"csrf": re.search(
            r'name="csrf" value="([^"]+)"', client.get("/console").get_data(as_text=True)).group(1)})


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_a_flood_on_one_conversation_is_refused_in_chinese_and_not_stored(db_url, sessions, storage):
    app = build_app(db_url, redis=storage == "redis")
    client = app.test_client()
    client.get("/chat")  # the server issues the conversation
    answers = [client.post("/chat/api/messages", json={"message_id": f"m{i}", "text": "你好"})
               for i in range(300)]
    codes = [a.status_code for a in answers]
    assert codes[:20] == [202] * 20  # stored and queued: Rasa is down in this test
    assert set(codes[20:]) == {429}
    refused = answers[-1]
    assert refused.get_json()["error"]["message"] == "您的操作太频繁了，请稍等一会儿再试。"
    assert refused.headers["Retry-After"]
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(InboundMessage)).scalar() == 20
    # Another citizen, elsewhere, is not held up by the flood.
    calm = app.test_client()
    calm.get("/chat", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    other = calm.post("/chat/api/messages", json={"message_id": "c1", "text": "你好"},
                      environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 202
    app.extensions["hotline.engine"].dispose()


def test_api_callers_are_limited_per_token(client, tokens):
    codes = [client.get("/api/organisations", headers=tokens["zhang"]).status_code for _ in range(305)]
    assert codes[:300] == [200] * 300 and codes[-1] == 429
    assert client.get("/api/organisations", headers=tokens["li"]).status_code == 200
    assert client.get("/api/organisations", headers=tokens["zhang"]).get_json()["error"]["code"] == \
        "too_many_requests"


BIG = b"x" * (30 * 1024 * 1024)


def test_a_30_mib_body_is_refused_with_413_and_nothing_is_saved(client, tokens, sessions):
    chat = client.post("/chat/api/messages", data=b'{"message_id": "b1", "text": "' + BIG + b'"}',
                       content_type="application/json")
    assert chat.status_code == 413
    assert "太大" in chat.get_json()["error"]["message"]
    api = client.post("/api/cases", data=b'{"text": "' + BIG + b'"}', content_type="application/json",
                      headers=tokens["system"])
    assert api.status_code == 413 and api.get_json()["error"]["code"] == "body_too_large"
    form = client.post("/console/login", data={"username": "zhang", "password": "x" * (30 * 1024 * 1024)})
    assert form.status_code == 413 and "太大" in form.get_data(as_text=True)
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(InboundMessage)).scalar() == 0
        assert session.execute(select(func.count()).select_from(Case)).scalar() == 0


def test_every_limited_endpoint_exists(app):
    from hotline.web.security import LIMITS

    assert set(LIMITS) <= set(app.view_functions)
