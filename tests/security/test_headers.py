"""Security headers on every answer, and templates that need no inline script."""
from __future__ import annotations

import re
from pathlib import Path

from tests.web.conftest import login

TEMPLATES = Path(__file__).resolve().parents[2] / "hotline" / "web" / "templates"


def _policy(response) -> dict:
    return {part.split()[0]: part.split()[1:] for part in response.headers["Content-Security-Policy"].split("; ")}


def test_pages_and_answers_carry_the_security_headers(client, tokens, make_case):
    number = make_case("楼上噪音，我的电话 13812345678")
    login(client, "zhang")
    for path in ("/chat", "/console/login", "/console", f"/console/cases/{number}", f"/api/cases/{number}"):
        response = client.get(path)
        assert response.status_code == 200, path
        policy = _policy(response)
        assert policy["script-src"] == ["'self'"], path
        assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cache-Control"] == "no-store", path
        assert "Strict-Transport-Security" not in response.headers  # plain HTTP: HSTS would mean nothing


def test_static_files_may_be_cached(client):
    response = client.get("/static/chat.js")
    assert response.status_code == 200 and response.headers.get("Cache-Control") != "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()  # a static file is streamed from an open file


def test_hsts_over_https(client):
    response = client.get("/chat", base_url="https://hotline.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_no_template_has_inline_script_or_event_handlers():
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag, f"{template.name}: inline <script> is blocked by the CSP; use a static file"
        assert not re.search(r"\son[a-z]+\s*=", text), f"{template.name}: inline event handler"
        assert "javascript:" not in text, template.name


def test_an_unexpected_failure_answers_in_chinese_with_the_way_to_110(db_url):
    from tests.security.conftest import build_app

    app = build_app(db_url)

    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/chat/api/broken", "broken", broken)
    app.add_url_rule("/broken", "broken_page", broken)
    client = app.test_client()
    answer = client.get("/chat/api/broken")
    assert answer.status_code == 500 and "110" in answer.get_json()["error"]["message"]
    page = client.get("/broken")
    assert page.status_code == 500 and "110" in page.get_data(as_text=True)
    assert page.headers["Content-Security-Policy"]
    app.extensions["hotline.engine"].dispose()
