"""Our parse endpoint on the real Rasa server: the same answers as /model/parse, batched, guarded."""
from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from hotline.config import PROJECT_ROOT
from tests.stack import BIN, free_port

pytestmark = pytest.mark.e2e

MESSAGES = [
    "/greet",
    '/report_dispute{"dispute_type": "labor"}',
    "他拿着菜刀在砸我家门，快来人啊",
    "老板拖欠我们二十多个人三个月工资，大家说要去市政府门口拉横幅",
    "楼上天天半夜拖椅子吵得睡不着，物业也不管，" * 90,  # 1,890 characters: long, under the limit
    "😭😭老板跑路了工资没发🙏",
    "",
    "  你好  ",
    "hello",
    "我的电话是13812345678，住在城关镇幸福村",
]


def canonical(parse) -> str:
    return json.dumps(parse, sort_keys=True, ensure_ascii=False)


def post(stack, path, body=None, *, data=None, token="stack", headers=None):
    params = {"token": stack.token if token == "stack" else token} if token else None
    return requests.post(f"{stack.rasa_url}{path}", params=params, json=body, data=data, headers=headers,
                         timeout=60)


def stock(stack, text):
    response = post(stack, "/model/parse", {"text": text})
    assert response.status_code == 200, response.text
    return response.json()


def counters(stack):
    return requests.get(f"{stack.rasa_url}/webhooks/nlu/", params={"token": stack.token}, timeout=10).json()


@pytest.mark.parametrize("text", MESSAGES, ids=lambda t: t[:12] or "empty")
def test_parse_answers_what_model_parse_answers(stack, text):
    ours = post(stack, "/webhooks/nlu/parse", {"text": text})
    assert ours.status_code == 200, ours.text
    assert canonical(ours.json()) == canonical(stock(stack, text))
    assert {"text", "intent", "entities", "intent_ranking"} <= set(ours.json())
    if not text.startswith("/"):  # Rasa's RegexMessageHandler answers "/intent" payloads with a fresh message
        assert "triage" in ours.json()


def test_custom_outputs_come_through(stack):
    parse = post(stack, "/webhooks/nlu/parse", {"text": "老板拖欠我们三个月工资了，一共三万多"}).json()
    assert parse["dispute_type"]["code"] == "labor" and parse["triage"]["dispute_type"]["code"] == "labor"
    emergency = post(stack, "/webhooks/nlu/parse", {"text": "他拿着菜刀在砸我家门，快来人啊"}).json()
    assert emergency["intent"]["name"] == "emergency" and emergency["triage"]["route"]["to"] == "110"


def test_parse_batch_keeps_the_order(stack):
    expected = [canonical(stock(stack, text)) for text in MESSAGES]
    for texts, wanted in ((MESSAGES, expected), (MESSAGES[::-1], expected[::-1])):
        response = post(stack, "/webhooks/nlu/parse_batch", {"texts": texts})
        assert response.status_code == 200, response.text
        assert [canonical(parse) for parse in response.json()] == wanted
    assert post(stack, "/webhooks/nlu/parse_batch", {"texts": []}).json() == []


def test_concurrent_requests_each_get_their_own_answer_in_shared_passes(stack):
    texts = [f"{base}（第{i}号）" for i, base in enumerate(MESSAGES[2:] * 3)][:20]
    expected = {text: canonical(stock(stack, text)) for text in texts}
    before = counters(stack)
    start = threading.Barrier(len(texts))

    def one(text):
        start.wait()
        return text, post(stack, "/webhooks/nlu/parse", {"text": text})

    with ThreadPoolExecutor(len(texts)) as pool:
        answers = list(pool.map(one, texts))
    after = counters(stack)
    for text, response in answers:
        assert response.status_code == 200, response.text
        assert response.json()["text"] == text.strip()
        assert canonical(response.json()) == expected[text]
    assert after["parsed"] - before["parsed"] == len(texts)
    assert after["passes"] - before["passes"] < len(texts), "no two of 20 simultaneous requests shared a pass"


def test_bearer_header_is_accepted(stack):
    response = post(stack, "/webhooks/nlu/parse", {"text": "你好"}, token=None,
                    headers={"Authorization": f"Bearer {stack.token}"})
    assert response.status_code == 200 and response.json()["intent"]["name"] == "greet"


@pytest.mark.parametrize("token, headers", [
    (None, None),
    ("wrong", None),
    (None, {"Authorization": "Bearer wrong"}),
    (None, {"Authorization": "Basic abc"}),
], ids=["none", "wrong-query", "wrong-bearer", "not-bearer"])
def test_without_rasas_token_401(stack, token, headers):
    for path in ("/webhooks/nlu/parse", "/webhooks/nlu/parse_batch"):
        response = post(stack, path, {"text": "你好", "texts": ["你好"]}, token=token, headers=headers)
        assert response.status_code == 401
        assert response.json()["reason"] == "NotAuthenticated"
    assert requests.get(f"{stack.rasa_url}/webhooks/nlu/", timeout=10).status_code == 401


@pytest.mark.parametrize("path, body, data, message", [
    ("parse", None, "这不是JSON".encode(), "must be a JSON object"),
    ("parse", None, None, "must be a JSON object"),
    ("parse", ["你好"], None, "must be a JSON object"),
    ("parse", {"message": "你好"}, None, "'text' is missing"),
    ("parse", {"text": 5}, None, "'text' must be a string, not int"),
    ("parse", {"text": None}, None, "'text' must be a string, not NoneType"),
    ("parse", {"text": "吵" * 2001}, None, "'text' has 2001 characters; at most 2000"),
    ("parse_batch", {"text": "你好"}, None, "'texts' is missing"),
    ("parse_batch", {"texts": "你好"}, None, "'texts' must be a list of strings"),
    ("parse_batch", {"texts": ["你好"] * 65}, None, "'texts' has 65 items; at most 64"),
    ("parse_batch", {"texts": ["你好", 3]}, None, "'texts[1]' must be a string, not int"),
    ("parse_batch", {"texts": ["你好", "吵" * 2001]}, None, "'texts[1]' has 2001 characters"),
], ids=["not-json", "no-body", "a-list", "no-text", "int", "null", "too-long",
        "no-texts", "texts-string", "too-many", "item-int", "item-too-long"])
def test_bad_input_400(stack, path, body, data, message):
    response = post(stack, f"/webhooks/nlu/{path}", body, data=data)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["reason"] == "BadRequest" and message in error["message"], error


def test_the_limit_itself_is_allowed(stack):
    text = "吵" * 2000
    response = post(stack, "/webhooks/nlu/parse", {"text": text})
    assert response.status_code == 200 and canonical(response.json()) == canonical(stock(stack, text))
    assert len(post(stack, "/webhooks/nlu/parse_batch", {"texts": ["你好"] * 64}).json()) == 64


def test_no_model_loaded_503(tmp_path):
    """A Rasa server with our channel but no model (an empty model folder) answers 503."""
    port, token = free_port(), "no-model-token"
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 't.db'}",
           "ACTION_ENDPOINT_URL": "http://127.0.0.1:9/webhook", "ACTIONS_SECRET": "unused-no-action-runs"}
    env.pop("REDIS_URL", None)
    (tmp_path / "models").mkdir()
    log = open(tmp_path / "rasa.log", "wb")
    server = subprocess.Popen(
        [str(BIN / "rasa"), "run", "--enable-api", "--auth-token", token, "--interface", "127.0.0.1",
         "--port", str(port), "--model", str(tmp_path / "models"), "--endpoints", "endpoints.yml",
         "--credentials", "credentials.example.yml"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/webhooks/nlu/parse"
        deadline = time.monotonic() + 120
        response = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                response = requests.post(url, params={"token": token}, json={"text": "你好"}, timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.5)
        assert response is not None, (tmp_path / "rasa.log").read_text(errors="replace")[-2000:]
        assert response.status_code == 503 and response.json()["reason"] == "NoModel"
        assert requests.post(url, json={"text": "你好"}, timeout=5).status_code == 401  # the token still first
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        log.close()
