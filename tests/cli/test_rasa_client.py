"""RasaClient.parse: our parse endpoint first, /model/parse only where the server has no such route."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hotline.rasa_client import RasaClient, RasaUnavailable


HEADERS = []  # the Authorization header of each call to the fake server
CONVERSATIONS = []  # the X-Conversation header of each call


@pytest.fixture
def fake_rasa():
    """A stand-in Rasa server; `routes` maps a path to the status it answers, and records the calls."""
    calls, routes = [], {}
    HEADERS.clear()
    CONVERSATIONS.clear()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the stdlib's name
            path, _, query = self.path.partition("?")
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            calls.append((path, query, body))
            HEADERS.append(self.headers.get("Authorization"))
            CONVERSATIONS.append(self.headers.get("X-Conversation"))
            status = routes.get(path, 404)
            payload = json.dumps({"text": body.get("text") if isinstance(body, dict) else None, "via": path}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", routes, calls
    server.shutdown()
    server.server_close()


TOKEN = "t0k-" + "x" * 40


def test_parse_uses_our_endpoint_with_the_token_in_the_header_never_the_url(fake_rasa):
    import jwt

    url, routes, calls = fake_rasa
    routes.update({"/webhooks/nlu/parse": 200, "/model/parse": 200, "/conversations/a%2Fb/tracker/events": 200})
    client = RasaClient(url, TOKEN)
    assert client.parse("你好") == {"text": "你好", "via": "/webhooks/nlu/parse"}
    client.append_events("a/b", [])
    assert [(path, query) for path, query, _ in calls] == [("/webhooks/nlu/parse", ""),
                                                            ("/conversations/a%2Fb/tracker/events", "")]
    for header in HEADERS:
        scheme, _, token = header.partition(" ")
        claims = jwt.decode(token, TOKEN, algorithms=["HS256"])  # what `rasa run --jwt-secret` checks
        assert scheme == "Bearer" and claims["user"]["role"] == "admin"
    assert TOKEN not in "".join(HEADERS)


def test_a_server_without_the_channel_is_asked_at_model_parse_from_then_on(fake_rasa):
    url, routes, calls = fake_rasa
    routes.update({"/model/parse": 200})
    client = RasaClient(url, TOKEN)
    assert client.parse("一")["via"] == "/model/parse"
    assert client.parse("二")["via"] == "/model/parse"
    assert [path for path, _, _ in calls] == ["/webhooks/nlu/parse", "/model/parse", "/model/parse"]


def test_other_refusals_are_not_retried(fake_rasa):
    url, routes, calls = fake_rasa
    routes.update({"/webhooks/nlu/parse": 401, "/model/parse": 200})
    with pytest.raises(RasaUnavailable, match="HTTP 401") as failure:
        RasaClient(url, "wrong-" + "y" * 40).parse("你好")
    assert failure.value.status == 401 and len(calls) == 1


def test_every_call_about_a_conversation_names_it_for_the_proxy_and_parse_names_none(fake_rasa):
    url, routes, calls = fake_rasa
    routes.update({"/webhooks/rest/webhook": 200, "/webhooks/nlu/parse": 200,
                   "/conversations/w1/tracker/events": 200, "/conversations/w1/execute": 200})
    client = RasaClient(url, TOKEN)
    client.send("w1", "你好")
    client.append_events("w1", [])
    client.undo_turn("w1", "m-1")
    client.execute("w1", "action_x")
    client.parse("你好")
    # A proxy hashing on it sends one conversation to one Rasa server (docs/DEPLOY.md); a parse is anyone's.
    assert CONVERSATIONS == ["w1", "w1", "w1", "w1", None]
    assert calls[2][2] == [{"event": "action", "name": "action_listen"},
                           {"event": "rewind", "metadata": {"undone_message_id": "m-1"}}]


def test_the_action_server_counts_as_up_only_when_its_health_check_answers(fake_rasa):
    url, routes, _ = fake_rasa
    assert RasaClient(url).actions_instance() == ""  # no address configured: nothing to check
    assert RasaClient(url, action_endpoint_url="http://127.0.0.1:9/webhook").actions_instance() is None


def _start_action_server(port: int):
    import os
    import subprocess

    from hotline.config import PROJECT_ROOT
    from tests.stack import BIN

    env = {**os.environ, "ACTIONS_SECRET": "s" * 24, "SANIC_HOST": "127.0.0.1"}
    return subprocess.Popen([str(BIN / "python"), "-m", "actions", "--actions", "actions", "--port", str(port)],
                            cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def test_the_real_action_server_names_a_new_instance_at_each_start():
    """What tells the inbox that a silent turn crossed a restart (a killed action server leaves no trace in the
    tracker): the same address, a new instance id, and None while nothing answers."""
    import os
    import signal
    import time

    from tests.stack import free_port

    port = free_port()
    client = RasaClient("http://127.0.0.1:9", action_endpoint_url=f"http://127.0.0.1:{port}/webhook")
    seen = []
    for _ in range(2):
        assert client.actions_instance() is None
        server = _start_action_server(port)
        try:
            deadline = time.monotonic() + 120
            while client.actions_instance() is None and time.monotonic() < deadline:
                time.sleep(0.3)
            seen.append(client.actions_instance())
            assert client.actions_instance(last_seen=True) == seen[-1]
        finally:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    assert all(len(instance) == 32 for instance in seen) and seen[0] != seen[1]
