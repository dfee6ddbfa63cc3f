"""The Flask app over a migrated database (SQLite and PostgreSQL), with people, tokens and a case factory."""
from __future__ import annotations

import itertools
import re

import pytest

from hotline.cases.accounts import create_user
from hotline.cases.service import Intake, open_case
from hotline.cases.tokens import create_token
from hotline.config import Settings
from hotline.triage import build_record
from hotline.web import create_app
from tests.cases.conftest import intake_fields


@pytest.fixture
def app(db_url):
    app = create_app(Settings(database_url=db_url, secret_key="test"))
    yield app
    app.extensions["hotline.engine"].dispose()


@pytest.fixture
def sessions(app):
    return app.extensions["hotline.sessions"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(sessions):
    """Bearer headers: personal tokens for two mediators and an admin, and a system (operator-role) token."""
    headers = {}
    with sessions.begin() as session:
        for name, role in [("zhang", "mediator"), ("li", "mediator"), ("admin", "admin"), ("wang", "operator")]:
            create_user(session, name, "password-123", role)
        for name in ("zhang", "li", "admin", "wang"):
            _, secret = create_token(session, f"{name}-token", username=name)
            headers[name] = {"Authorization": f"Bearer {secret}"}
        _, secret = create_token(session, "platform", role="operator")
        headers["system"] = {"Authorization": f"Bearer {secret}"}
    return headers


@pytest.fixture
def make_case(sessions):
    keys = itertools.count()

    def make(text, code="neighbor", **kwargs):
        with sessions.begin() as session:
            record = build_record(text, {"name": kwargs.pop("intent", "report_dispute"), "confidence": 0.9},
                                  {"code": code, "confidence": 0.9})
            case, _ = open_case(
                session,
                "bot",
                Intake(text=text, triage=record, key=f"web:{next(keys)}", transcript=[("citizen", text)],
                       **intake_fields(kwargs)),
                **kwargs,
            )
            return case.number

    return make


def login(client, username, password="password-123"):
    page = client.get("/console/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    response = client.post("/console/login", data={"username": username, "password": password, "csrf": csrf})
    assert response.status_code == 302, response.get_data(as_text=True)
    # Signing in starts a new session, so the form token changes: take the one the console now shows.
    return csrf_of(client)


def csrf_of(client, path="/console"):
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)
