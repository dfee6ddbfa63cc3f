"""The console's legal review pages: an admin sees the answer as the citizen does, approves it or sends it back."""
from __future__ import annotations

from hotline.cases.accounts import create_user
from hotline.legal import REVIEWED_CLOSING, UNREVIEWED_CLOSING
from tests.web.conftest import csrf_of, login

ENTRY = "labor.no_written_contract"


def _accounts(sessions):
    with sessions.begin() as session:
        create_user(session, "boss", "password-123", "admin", "管理员")
        create_user(session, "zhang", "password-123", "mediator", "张调解")


def test_an_admin_reviews_an_entry_in_the_console(client, sessions):
    _accounts(sessions)
    login(client, "boss")
    listing = client.get("/console/legal?state=pending").get_data(as_text=True)
    assert ENTRY in listing and "待审核" in listing
    page = client.get(f"/console/legal/{ENTRY}").get_data(as_text=True)
    assert "依据：《劳动合同法》" in page and UNREVIEWED_CLOSING in page and "2012年修正" in page
    csrf = csrf_of(client, f"/console/legal/{ENTRY}")
    empty = client.post(f"/console/legal/{ENTRY}", data={"csrf": csrf, "decision": "send_back", "comment": " "},
                        follow_redirects=True).get_data(as_text=True)
    assert "写明哪里需要改" in empty
    back = client.post(f"/console/legal/{ENTRY}", data={"csrf": csrf, "decision": "send_back",
                                                        "comment": "起算点写清楚"}, follow_redirects=True)
    assert "已退回" in back.get_data(as_text=True) and "起算点写清楚" in back.get_data(as_text=True)
    ok = client.post(f"/console/legal/{ENTRY}", data={"csrf": csrf, "decision": "approve"}, follow_redirects=True)
    text = ok.get_data(as_text=True)
    assert "已审核" in text and REVIEWED_CLOSING in text and UNREVIEWED_CLOSING not in text


def test_a_mediator_cannot_review(client, sessions):
    _accounts(sessions)
    login(client, "zhang")
    assert client.get("/console/legal").status_code == 403
    assert client.get(f"/console/legal/{ENTRY}").status_code == 403


def test_a_missing_entry_is_404(client, sessions):
    _accounts(sessions)
    login(client, "boss")
    assert client.get("/console/legal/labor.nope").status_code == 404


def test_a_review_without_the_form_token_is_refused(client, sessions):
    _accounts(sessions)
    login(client, "boss")
    response = client.post(f"/console/legal/{ENTRY}", data={"decision": "approve"})
    assert response.status_code == 400
