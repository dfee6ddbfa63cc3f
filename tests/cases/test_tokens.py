"""API tokens: shown once, stored as SHA-256, for a system role or acting as one person."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from hotline.cases.errors import InvalidInput
from hotline.cases.models import ApiToken, User
from hotline.cases.tokens import create_token, find_token, revoke_token


def test_only_the_hash_is_kept_and_the_secret_finds_it(sessions, people):
    with sessions.begin() as session:
        token, secret = create_token(session, "12345-platform", role="operator")
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    with sessions() as session:
        stored = session.execute(select(ApiToken)).scalar_one()
        assert secret not in (stored.token_hash, stored.name)
        assert find_token(session, secret).name == "12345-platform"
        assert find_token(session, secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
        assert find_token(session, "") is None


def test_a_personal_token_acts_as_that_person_until_revoked_or_deactivated(sessions, people):
    with sessions.begin() as session:
        _, secret = create_token(session, "zhang-script", username="zhang")
    with sessions() as session:
        found = find_token(session, secret)
        assert found.user.username == "zhang" and found.role == "mediator"
    with sessions.begin() as session:
        session.get(User, people["zhang"]).active = False
    with sessions() as session:
        assert find_token(session, secret) is None
    with sessions.begin() as session:
        session.get(User, people["zhang"]).active = True
        revoke_token(session, "zhang-script")
    with sessions() as session:
        assert find_token(session, secret) is None


@pytest.mark.parametrize("kwargs", [{}, {"role": "operator", "username": "zhang"}, {"role": "boss"},
                                    {"username": "nobody"}])
def test_bad_requests_are_refused(sessions, people, kwargs):
    with sessions.begin() as session:
        with pytest.raises(InvalidInput):
            create_token(session, "t", **kwargs)


def test_names_are_unique(sessions, people):
    with sessions.begin() as session:
        create_token(session, "t", role="admin")
        with pytest.raises(InvalidInput):
            create_token(session, "t", role="admin")
