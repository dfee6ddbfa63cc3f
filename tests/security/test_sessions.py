"""Console sessions: cookie flags, lifetimes, a new session at login, logout that ends it; CSRF everywhere."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update

from hotline.cases.models import utcnow
from hotline.web.sessions import LoginSession
from tests.security.conftest import build_app
from tests.web.conftest import login


def _cookie_header(response) -> str:
    return next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session="))


def _form_token(client, path="/console/login"):
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _sign_in(client, username="zhang"):
    return client.post("/console/login", data={"username": username, "password": "password-123",
                                                "csrf": _form_token(client)})


def test_the_session_cookie_is_secure_httponly_and_lives_12_hours(client, tokens):
    cookie = _cookie_header(_sign_in(client))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = dt.datetime.strptime(re.search(r"Expires=([^;]+)", cookie).group(1), "%a, %d %b %Y %H:%M:%S GMT")
    assert dt.timedelta(hours=11, minutes=59) < expires - utcnow() <= dt.timedelta(hours=12)


def test_local_http_can_turn_secure_off(db_url, tokens):
    app = build_app(db_url, SESSION_COOKIE_SECURE=False)
    assert "Secure" not in _cookie_header(_sign_in(app.test_client()))
    app.extensions["hotline.engine"].dispose()


def test_cookie_secure_comes_from_the_environment():
    from hotline.config import Settings

    assert Settings.from_env({}).cookie_secure is True
    assert Settings.from_env({"COOKIE_SECURE": "0"}).cookie_secure is False


def test_logout_ends_the_session_on_the_server_even_for_a_copied_cookie(app, client, tokens):
    _sign_in(client)
    stolen = client.get_cookie("session").value
    assert client.get("/console").status_code == 200
    client.post("/console/logout", data={"csrf": _form_token(client, "/console")})
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/console").status_code == 302
    assert thief.get("/api/queue").status_code == 401


def test_thirty_idle_minutes_end_the_session(client, sessions, tokens):
    _sign_in(client)
    with sessions.begin() as session:
        session.execute(update(LoginSession).values(last_seen_at=utcnow() - dt.timedelta(minutes=31)))
    assert client.get("/console").status_code == 302
    with sessions() as session:
        assert session.execute(select(LoginSession.ended_reason)).scalar_one() == "idle"


def test_twelve_hours_end_the_session_however_busy(client, sessions, tokens):
    _sign_in(client)
    with sessions.begin() as session:
        session.execute(update(LoginSession).values(created_at=utcnow() - dt.timedelta(hours=12, minutes=1)))
    assert client.get("/console").status_code == 302
    with sessions() as session:
        assert session.execute(select(LoginSession.ended_reason)).scalar_one() == "expired"


def test_login_starts_a_new_session_and_drops_what_the_browser_carried(app, client, tokens, sessions):
    before = client.get("/console/login") and client.get_cookie("session").value
    _sign_in(client)
    after = client.get_cookie("session").value
    assert before != after
    # The cookie from before the login is still anonymous: fixing it on a victim gains the attacker nothing.
    planted = app.test_client()
    planted.set_cookie("session", before)
    assert planted.get("/console").status_code == 302
    client.post("/console/logout", data={"csrf": _form_token(client, "/console")})
    _sign_in(client)
    with sessions() as session:
        hashes = session.execute(select(LoginSession.token_hash)).scalars().all()
    assert len(set(hashes)) == 2


def test_login_without_a_form_token_is_refused(client, tokens):
    # A fresh browser with no session at all: "" must not equal "" (login CSRF).
    refused = client.post("/console/login", data={"username": "zhang", "password": "password-123", "csrf": ""})
    assert refused.status_code == 400 and "页面已过期" in refused.get_data(as_text=True)
    assert client.get("/console").status_code == 302


def test_a_token_from_another_session_is_refused(app, client, tokens, make_case):
    number = make_case("楼上噪音")
    other = app.test_client()
    foreign = login(other, "li")
    login(client, "zhang")
    assert client.post(f"/console/cases/{number}/claim", data={"csrf": foreign}).status_code == 400
    api = client.post(f"/api/cases/{number}/claim", headers={"X-CSRF-Token": foreign})
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "csrf_failed"


def test_bearer_tokens_need_no_csrf(client, tokens, make_case):
    number = make_case("楼上噪音")
    assert client.post(f"/api/cases/{number}/claim", headers=tokens["zhang"]).status_code == 200


def test_a_deactivated_person_is_signed_out_at_once(client, sessions, tokens):
    from hotline.cases.models import User

    _sign_in(client)
    with sessions.begin() as session:
        session.execute(update(User).where(User.username == "zhang").values(active=False))
    assert client.get("/console").status_code == 302


def test_the_login_page_shows_no_signed_in_header_to_a_stranger(client):
    page = client.get("/console/login").get_data(as_text=True)
    # An anonymous user must not read as signed in: the header's logout button would be the page's first submit.
    assert "/console/logout" not in page and 'name="csrf-token"' not in page
    assert page.count('type="submit"') == 1
