"""Channel fixtures: a local HTTP server standing in for api.twilio.com / api.weixin.qq.com, and the web app."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, List, Optional
from urllib.parse import parse_qs

import pytest

from hotline.config import Settings
from tests.cases.conftest import make_case  # noqa: F401 - pytest finds fixtures by name here
from tests.stack import free_port

TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "12345678901234567890123456789012"
TWILIO_NUMBER = "+8610012345"
PUBLIC_BASE_URL = "https://hotline.example.org"


class Recorded(dict):
    @property
    def form(self) -> dict:
        return {k: v[0] for k, v in parse_qs(self["body"].decode()).items()}

    @property
    def json(self) -> dict:
        return json.loads(self["body"].decode())


class ProviderServer:
    """Records every request; answers with what `respond(request)` returns: (status, JSON body)."""

    def __init__(self, respond: Callable[[Recorded], tuple]):
        self.requests: List[Recorded] = []
        self.respond = respond
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                recorded = Recorded(method=self.command, path=self.path, headers=dict(self.headers),
                                    body=self.rfile.read(length))
                server.requests.append(recorded)
                status, body = server.respond(recorded)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def twilio_answer(request: Recorded) -> tuple:
    """What api.twilio.com answers to POST .../Messages.json: 201 with the new message's sid."""
    import uuid

    return 201, {"sid": "SM" + uuid.uuid4().hex, "status": "queued", "to": request.form.get("To")}


@pytest.fixture
def twilio():
    server = ProviderServer(twilio_answer)
    yield server
    server.stop()


def channel_settings(database_url: str, rasa_url: str, twilio_url: Optional[str] = None, **extra) -> Settings:
    return Settings(database_url=database_url, secret_key="test-secret", rasa_url=rasa_url, rasa_timeout_seconds=60,
                    public_base_url=PUBLIC_BASE_URL, twilio_account_sid=TWILIO_SID, twilio_auth_token=TWILIO_TOKEN,
                    twilio_number=TWILIO_NUMBER, twilio_api_base=twilio_url or "http://127.0.0.1:9", **extra)


def rasa_down_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there: connection refused, as when Rasa is down
