"""Rate limits and the body cap: guessing passwords, flooding the chat, huge bodies (memory and Redis storage)."""
from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from hotline.cases.models import Case, InboundMessage
from hotline.web.security import API_LIMIT
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


# --- behind a reverse proxy (TRUSTED_PROXY, read by `hotline serve`) ------------------


@contextmanager
def _served(tmp_path, trusted_proxy):
    """`hotline serve` as deployed, on a free loopback port, with or without TRUSTED_PROXY."""
    from tests.stack import BIN, free_port

    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'hotline.db'}", "SECRET_KEY": "proxy-test",
           "COOKIE_SECURE": "0", "RASA_URL": "http://127.0.0.1:9", "WEB_PORT": str(port)}
    env.pop("REDIS_URL", None)  # this process's own counts
    env.pop("TRUSTED_PROXY", None)
    if trusted_proxy:
        env["TRUSTED_PROXY"] = trusted_proxy
    subprocess.run([str(BIN / "hotline"), "db", "upgrade"], env=env, check=True, capture_output=True)
    log = open(tmp_path / "web.log", "wb")
    process = subprocess.Popen([str(BIN / "hotline"), "serve", "--port", str(port)], env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if _remaining("127.0.0.1", port) is not None:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise AssertionError((tmp_path / "web.log").read_text(errors="replace"))
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
        log.close()


FRESH = int(API_LIMIT.split()[0]) - 1  # what the first request of an address leaves


def _remaining(source: str, port: int, forwarded: str = "") -> int:
    """What is left of the API's per-address limit for the address the service sees this request coming from.

    `source` is the address this end of the connection has (any 127.x.y.z is this machine).
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0))
    try:
        connection.request("GET", "/api/health", headers={"X-Forwarded-For": forwarded} if forwarded else {})
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        return int(response.headers["X-RateLimit-Remaining"])
    finally:
        connection.close()


def test_behind_the_trusted_proxy_the_limits_count_the_forwarded_client(tmp_path):
    with _served(tmp_path, trusted_proxy="127.0.0.1") as port:
        first = _remaining("127.0.0.1", port, "198.51.100.7")
        assert first == FRESH
        assert _remaining("127.0.0.1", port, "198.51.100.7") == first - 1
        # Another citizen behind the same proxy has a count of their own.
        assert _remaining("127.0.0.1", port, "198.51.100.8") == first
        # The proxy's hop only: whatever the client wrote before it (a proxy that appends) is not believed.
        assert _remaining("127.0.0.1", port, "203.0.113.66, 198.51.100.7") == first - 2
        # A client that reaches the service around the proxy cannot choose its address with the header.
        around = _remaining("127.0.0.2", port, "198.51.100.9")
        assert _remaining("127.0.0.2", port, "198.51.100.10") == around - 1
        assert _remaining("127.0.0.1", port, "198.51.100.9") == first  # 198.51.100.9 itself was never counted


def test_without_a_trusted_proxy_a_forged_forwarded_for_is_ignored(tmp_path):
    with _served(tmp_path, trusted_proxy=None) as port:
        first = _remaining("127.0.0.1", port, "198.51.100.7")
        assert _remaining("127.0.0.1", port, "198.51.100.8") == first - 1
        assert _remaining("127.0.0.1", port) == first - 2
        assert _remaining("127.0.0.2", port, "198.51.100.7") == FRESH  # another address: its own count
