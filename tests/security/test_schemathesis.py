"""Schemathesis against the published OpenAPI document, over real HTTP, as every role: what it finds fails the test.

The web service runs here under waitress (as `hotline serve` does) on a free
loopback port, over a migrated database with one account and one personal
API token per role, a system token, a signed-in console session (cookie and
X-CSRF-Token) and cases to act on. Schemathesis reads /api/openapi.json and
generates requests from it (examples, coverage of every boundary and
invalid value, random fuzzing, and stateful sequences that follow the
Location of the case it just opened), with every check it has: no 5xx, the
status code, content type, headers and body as documented, schema-violating
requests refused, schema-valid ones not refused as malformed (400),
authentication enforced, 405 with Allow.

Schemathesis needs newer libraries than Rasa 3.6 lets .venv have (rich>=13.9
against Flask-Limiter 2.9's rich<13), so it lives in its own .venv-schema
(scripts/ensure-schemathesis.sh, pinned by requirements-schemathesis.lock;
`make test` creates it). Each caller gets a number of
seconds (SCHEMATHESIS_SCALE scales them; `make schemathesis` runs longer). How to run
it and what it found are in docs/RELIABILITY.md.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import requests

from hotline.cases.accounts import ROLES, create_user
from hotline.cases.models import Case
from hotline.cases.service import Intake, add_party, open_case
from hotline.cases.tokens import create_token
from hotline.config import PROJECT_ROOT, Settings
from hotline.conversations import handoff
from hotline.triage import build_record
from hotline.web import create_app
from tests.conftest import migrate

VENV = PROJECT_ROOT / ".venv-schema"
SCHEMATHESIS = VENV / "bin" / "schemathesis"
SCALE = float(os.environ.get("SCHEMATHESIS_SCALE", "1"))
# Seconds and phases per caller. The admin reaches every operation and a mediator most: the coverage phase too
# (every boundary and invalid value of every operation, ~15 s on its own). The others are refused much of the way,
# or are the mediator by another door (the session): random and stateful requests show what they may see and that
# it is as documented. Schemathesis spends the time it is given (fuzzing and stateful sequences repeat until it is
# up), so the run takes the same time on any machine and finds more on a fast one.
BUDGET = {"admin": (60, True), "mediator": (30, True)}
DEFAULT_BUDGET = (20, False)
CALLERS = [*ROLES, "system", "session"]
SEED = 14


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Dict:
    """A migrated, seeded database file; each caller gets its own copy (what one run creates, the next does not
    wade through)."""
    if not SCHEMATHESIS.exists():
        pytest.fail(f"schemathesis is not installed in {VENV}: run scripts/ensure-schemathesis.sh "
                    "(make test does)")
    path = tmp_path_factory.mktemp("schemathesis") / "template.db"
    migrate(f"sqlite:///{path}")
    app = _app(path)
    tokens = _seed(app.extensions["hotline.sessions"])
    with app.extensions["hotline.sessions"]() as session:
        numbers = [number for (number,) in session.query(Case.number).order_by(Case.id)]
    app.extensions["hotline.engine"].dispose()
    return {"path": path, "tokens": tokens, "numbers": numbers}


def _app(path: Path):
    # The limits have their own tests (test_limits.py; 429 is documented on every route): here every generated
    # request must reach the view that answers it.
    return create_app(Settings(database_url=f"sqlite:///{path}", secret_key="schemathesis",
                               rasa_url="http://127.0.0.1:9", cookie_secure=False), {"RATELIMIT_ENABLED": False})


@pytest.fixture
def served(template, tmp_path) -> Iterator[Dict]:
    """The web service under waitress, as `hotline serve` runs it, on a free loopback port over a fresh copy."""
    from waitress import create_server

    path = tmp_path / "hotline.db"
    shutil.copyfile(template["path"], path)
    app = _app(path)
    server = create_server(app, host="127.0.0.1", port=0, threads=4, ident="hotline")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.effective_port}"
    try:
        tokens = {**template["tokens"], "session": _sign_in(base, "mediator")}
        yield {"base": base, "tokens": tokens, "numbers": template["numbers"]}
    finally:
        server.close()
        thread.join(timeout=10)
        app.extensions["hotline.engine"].dispose()


def _seed(sessions) -> Dict:
    """An account and a personal token per role, a system token, and cases in a few shapes."""
    tokens: Dict = {}
    with sessions.begin() as session:
        for role in ROLES:
            create_user(session, role, "password-123", role)
            _, secret = create_token(session, f"{role}-token", username=role)
            tokens[role] = {"bearer": secret}
        _, secret = create_token(session, "platform", role="operator")
        tokens["system"] = {"bearer": secret}
        texts = [("楼上噪音扰民，晚上十二点还在装修", "neighbor", {}),
                 ("老板拖欠三个月工资，二十多个人", "labor", {"respondent": "宏达建筑公司", "location": "石桥镇",
                                                 "people_count": 23}),
                 ("宏达建筑也欠我两个月工资", "labor", {"respondent": "宏达建筑公司", "location": "石桥镇"}),
                 ("邻居占用楼道堆放杂物，说了不听", "neighbor", {"contact_phone": "13800138000",
                                                  "pii_consent": True})]
        for i, (text, code, extra) in enumerate(texts):
            record = build_record(text, {"name": "report_dispute", "confidence": 0.9},
                                  {"code": code, "confidence": 0.9})
            case, _ = open_case(
                session,
                "bot",
                Intake(
                    text=text, triage=record, key=f"schemathesis:{i}", channel="webchat", sender_id=f"w{i}",
                    transcript=[("citizen", text)], **extra,
                ),
            )
            if i == 0:
                handoff.request(session, case, reason="request_human")
            if i == 3:
                add_party(session, case, "bot", "respondent", "对门邻居", "13900139000", None)
    return tokens


def _sign_in(base: str, username: str) -> Dict:
    """A console session as a browser has it: the session cookie and the page's CSRF token."""
    browser = requests.Session()
    form = browser.get(f"{base}/console/login", timeout=10).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    signed = browser.post(f"{base}/console/login", data={"username": username, "password": "password-123",
                                                          "csrf": csrf}, allow_redirects=False, timeout=10)
    assert signed.status_code == 302, signed.text
    page = browser.get(f"{base}/console", timeout=10).text
    return {"cookie": browser.cookies["session"], "csrf": re.search(r'name="csrf" value="([^"]+)"', page).group(1)}


def _config(path: Path, caller: str, served: Dict) -> Path:
    credential = served["tokens"][caller]
    _, coverage = BUDGET.get(caller, DEFAULT_BUDGET)
    lines = [
        "[phases.examples]", "enabled = false",  # the document carries no examples
        "[phases.coverage]", f"enabled = {str(coverage).lower()}",
        # Refusals the service decides on the case's state or on other fields (a reason to close an unhandled
        # case, the next path of a failed mediation, consent before a phone number, an already claimed case) are
        # 409/422; 400 means "the document says this is invalid", so a schema-valid request must never get it.
        "[checks.positive_data_acceptance]",
        'expected-statuses = ["2xx", 401, 403, 404, 409, 422]',
        # Real case numbers most of the time, so the operations act on cases, not only on 404.
        "[dictionaries.cases]",
        f"values = {json.dumps(served['numbers'])}",
        "[parameters]",
        '"path.number" = { dictionary = "cases", probability = 0.8 }',
    ]
    if "bearer" in credential:
        lines += ["[auth.openapi.bearerAuth]", f'bearer = "{credential["bearer"]}"']
    else:
        lines += ["[auth.openapi.consoleSession]", f'api_key = "{credential["cookie"]}"',
                  "[headers]", f'X-CSRF-Token = "{credential["csrf"]}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _findings(output: str) -> str:
    """The FAILURES and SUMMARY sections, cut to what a person reads in a test report."""
    start = output.find("FAILURES")
    return output[start if start >= 0 else 0:][-12000:]


@pytest.mark.parametrize("caller", CALLERS)
def test_schemathesis_finds_nothing(served, caller, tmp_path):
    seconds = max(5, int(BUDGET.get(caller, DEFAULT_BUDGET)[0] * SCALE))
    command: List[str] = [
        str(SCHEMATHESIS), "--config-file", str(_config(tmp_path / "schemathesis.toml", caller, served)),
        "--no-color", "run", f"{served['base']}/api/openapi.json", "--checks", "all",
        "--max-time", str(seconds), "--seed", str(SEED), "--workers", "1", "--request-timeout", "10",
        "--report", "junit", "--report-dir", str(tmp_path / "report"),
    ]
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", "SCHEMATHESIS_TELEMETRY": "false"}
    env.pop("PYTHONPATH", None)  # its own venv, not ours
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=seconds + 120, cwd=tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 0, f"schemathesis as {caller} (exit {run.returncode}):\n{_findings(output)}"
    # Requests reached the service (a run that the clock ended before it sent any would prove nothing). Generating
    # a new case's body is slow (~0.5 s), so a 20-second caller completes only a handful of scenarios.
    generated = re.search(r"(\d+) generated", output)
    assert generated and int(generated.group(1)) >= 5, output[-3000:]
