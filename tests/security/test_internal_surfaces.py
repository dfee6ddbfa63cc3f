"""Rasa, the action server and the parse endpoint: tokens in headers only, secrets required, loopback by default."""
from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from actions.__main__ import SECRET_HEADER, authorised
from bot.channels.nlu import NluParseChannel
from hotline.config import PROJECT_ROOT


def test_the_action_webhook_needs_the_secret_and_health_does_not():
    assert authorised("/webhook", "s" * 24, "s" * 24)
    assert not authorised("/webhook", None, "s" * 24)
    assert not authorised("/webhook", "", "s" * 24)
    assert not authorised("/webhook", "s" * 23, "s" * 24)
    assert not authorised("/actions", None, "s" * 24)
    assert authorised("/health", None, "s" * 24)


def test_the_action_server_refuses_to_start_without_a_secret():
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run([sys.executable, "-m", "actions", "--actions", "actions", "--port", "1"],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "ACTIONS_SECRET" in result.stderr.strip().splitlines()[-1]


def test_the_parse_endpoint_refuses_to_start_open_outside_development(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["rasa", "run"])
    monkeypatch.delenv("RASA_TOKEN", raising=False)
    monkeypatch.delenv("HOTLINE_ENV", raising=False)
    with pytest.raises(ValueError, match="needs a token"):
        NluParseChannel.from_credentials({})
    monkeypatch.setenv("HOTLINE_ENV", "development")
    assert NluParseChannel.from_credentials({"threaded": False}).token is None
    monkeypatch.delenv("HOTLINE_ENV")
    monkeypatch.setenv("RASA_TOKEN", "t" * 40)
    assert NluParseChannel.from_credentials({"threaded": False}).token == "t" * 40


@pytest.mark.e2e
def test_on_the_real_stack_only_rasa_reaches_the_actions(stack):
    webhook = f"http://127.0.0.1:{stack.actions_port}/webhook"
    call = {"next_action": "action_session_start", "sender_id": "probe", "tracker": {"sender_id": "probe"},
            "domain": {}, "version": "3.6.0"}
    refused = requests.post(webhook, json=call, timeout=30)
    assert refused.status_code == 401
    forged = requests.post(webhook, json=call, headers={SECRET_HEADER: "guess"}, timeout=30)
    assert forged.status_code == 401
    # Rasa sends the secret (endpoints.yml): a whole turn runs actions and answers.
    assert stack.say("security-probe", "你好")
    # Rasa's API takes the JWT in the header that the web service sends.
    status = requests.get(f"{stack.rasa_url}/status", headers=stack.rasa_headers(), timeout=10)
    assert status.status_code == 200
    assert requests.get(f"{stack.rasa_url}/status", headers={"Authorization": "Bearer forged"},
                        timeout=10).status_code == 401
