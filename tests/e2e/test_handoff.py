"""Hand-off on the real processes: the bot is silent while a person holds the conversation, the mediator's
replies reach the citizen's chat, handing back resumes the bot, and the citizen's rating is stored."""
from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from hotline.config import PROJECT_ROOT
from tests.e2e.test_spine import CASE_NUMBER, _add_user, _case, _login

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent


class Citizen:
    """A citizen on the web chat page: posts messages, and polls for what people send."""

    def __init__(self, stack):
        self.stack = stack
        self.browser = requests.Session()  # keeps the conversation cookie the server issues
        self.browser.get(f"{stack.web_url}/chat", timeout=30).raise_for_status()
        self.seen = 0

    @property
    def sender(self) -> str:
        """The conversation id inside the signed cookie (the test knows the server's secret; a browser does not)."""
        return conversation_of(self.stack, self.browser)

    def say(self, text: str) -> dict:
        response = self.browser.post(f"{self.stack.web_url}/chat/api/messages", timeout=120,
                                     json={"message_id": uuid.uuid4().hex, "text": text})
        assert response.status_code == 200, response.text
        return response.json()

    def said(self, text: str) -> str:
        return "\n".join(r["text"] for r in self.say(text)["replies"])

    def poll(self) -> list:
        response = self.browser.get(f"{self.stack.web_url}/chat/api/messages", params={"after": self.seen},
                                    timeout=30)
        assert response.status_code == 200, response.text
        body = response.json()
        self.seen = body["last_seq"]
        return body["messages"]

    def wait_for(self, what, timeout: float = 60.0) -> list:
        """Poll like the page does until a message matching `what` arrives."""
        deadline, got = time.monotonic() + timeout, []
        while time.monotonic() < deadline:
            got += self.poll()
            if any(what(m) for m in got):
                return got
            time.sleep(0.5)
        raise AssertionError(f"nothing matching arrived within {timeout} s: {got}")

    def tracker(self) -> dict:
        return requests.get(f"{self.stack.rasa_url}/conversations/{self.sender}/tracker",
                            params={"token": self.stack.token}, timeout=10).json()


def conversation_of(stack, browser: requests.Session) -> str:
    from itsdangerous import URLSafeTimedSerializer

    from integrations.webchat import COOKIE, SALT

    return URLSafeTimedSerializer(stack.env["SECRET_KEY"], salt=SALT).loads(browser.cookies[COOKIE])


def _csrf(console: requests.Session, url: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', console.get(url, timeout=10).text).group(1)


def _post(console, stack, number: str, action: str, **form) -> str:
    page = f"{stack.web_url}/console/cases/{number}"
    response = console.post(f"{page}/{action}", data={"csrf": _csrf(console, page), **form}, timeout=60)
    assert response.status_code == 200, response.text[:500]
    return response.text


@pytest.fixture(scope="module")
def mediator(stack):
    _add_user(stack, "handoff-li", "s3cret-pass-2")
    return _login(stack, "handoff-li", "s3cret-pass-2")


def test_handoff_silence_reply_hand_back_and_rating(stack, mediator):
    citizen = Citizen(stack)
    citizen.say("你好")
    asked = citizen.say("我要找人工")
    text = "\n".join(r["text"] for r in asked["replies"])
    assert "转接人工" in text and "3分钟" in text  # the citizen is told honestly what happens next
    assert asked["handoff"]["status"] == "waiting"
    number = CASE_NUMBER.findall(text)[0]

    # The case waits in the console, at the top, marked as a citizen waiting online.
    queue = mediator.get(f"{stack.web_url}/console", timeout=10).text
    assert "在线等待人工" in queue and number in queue

    # While a person holds the conversation the bot says nothing, and the message reaches the console.
    silent = citizen.say("你们在吗，我等着呢")
    assert silent["replies"] == [] and silent["handoff"]["status"] == "waiting"
    events = citizen.tracker()["events"]
    last_user = max(i for i, e in enumerate(events) if e["event"] == "user")
    assert events[last_user]["text"] == "你们在吗，我等着呢"
    assert not [e for e in events[last_user:] if e["event"] == "bot"]
    assert "你们在吗，我等着呢" in mediator.get(f"{stack.web_url}/console/cases/{number}", timeout=10).text

    # The mediator takes the conversation and answers; the reply reaches the citizen's chat.
    _post(mediator, stack, number, "accept")
    _post(mediator, stack, number, "reply", text="您好，我是调解员李调解，请说说是什么事。")
    got = citizen.wait_for(lambda m: m["from"] == "mediator")
    assert [m["text"] for m in got if m["from"] == "mediator"] == ["您好，我是调解员李调解，请说说是什么事。"]
    assert citizen.say("邻居家装修把我家墙震裂了")["replies"] == []
    case, transcript, _ = _case(stack, number)
    assert case.status == "in_progress" and case.assignee.username == "handoff-li"
    assert ("mediator", "您好，我是调解员李调解，请说说是什么事。") in transcript
    assert ("citizen", "邻居家装修把我家墙震裂了") in transcript

    # Danger is answered at once even while a person holds the conversation.
    danger = citizen.say("他现在拿着刀在我家门口")
    assert "110" in danger["replies"][0]["text"]
    assert _case(stack, number)[0].warning_level == "orange"

    # Handing back resumes the bot, and it knows the case.
    _post(mediator, stack, number, "handback")
    back = citizen.wait_for(lambda m: m["from"] == "bot" and number in m["text"])
    assert any("第4步" in m["text"] for m in back)
    assert citizen.tracker()["slots"]["case_number"] == number
    assert "不客气" in citizen.said("谢谢你们")  # the bot answers again

    # Resolving asks the citizen for a rating on the same chat; the answer is stored with the case.
    _post(mediator, stack, number, "resolve", outcome="success", difficulty="general",
          agreement="邻居承担修补费用一千二百元，三日内付清")
    citizen.wait_for(lambda m: "打个分" in m["text"])
    assert "谢谢" in citizen.said("5分，李调解很耐心")
    case, _, events = _case(stack, number)
    assert (case.citizen_rating, case.citizen_comment) == (5, "李调解很耐心")
    assert ("citizen_rating", None) in events


def test_nobody_in_time_tells_the_citizen_and_offers_a_call_back(stack):
    citizen = Citizen(stack)
    number = CASE_NUMBER.findall(citizen.said("转人工"))[0]
    env = {**stack.env, "HANDOFF_WAIT_SECONDS": "0"}
    done = subprocess.run([str(BIN / "hotline"), "jobs", "run-handoffs"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"timed_out\t{number}" in done.stdout
    offer = citizen.wait_for(lambda m: "回电" in m["text"])
    assert any(number in m["text"] for m in offer)
    # The bot is back: it takes the phone number for the call-back (the notice said what it is for).
    assert "尾号1111" in citizen.said("13900001111")
    case, _, events = _case(stack, number)
    assert case.callback_requested_at is not None and case.contact_phone == "13900001111"
    assert ("handoff_timeout", None) in events and ("callback_request", None) in events
    # Still in the queue for a mediator.
    assert case.status == "reported" and case.assignee_id is None


def test_typed_commands_cannot_end_a_handoff(stack):
    citizen = Citizen(stack)
    citizen.say("转人工")
    # "/restart" would reset (and un-pause) the conversation in Rasa; typed, it is only words.
    assert citizen.say("/restart")["handoff"]["status"] == "waiting"
    assert citizen.tracker()["paused"] is True
