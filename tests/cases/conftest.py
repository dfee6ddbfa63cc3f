"""Fixtures for the case service: the sample organisations file, people, and a case factory."""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from pathlib import Path

import pytest
import yaml

from hotline.cases.accounts import create_user
from hotline.cases.organisations import load
from hotline.cases.service import Intake, open_case
from hotline.config import PROJECT_ROOT
from hotline.triage import build_record

NOW = dt.datetime(2026, 11, 22, 8, 0, 0)
EXAMPLE = PROJECT_ROOT / "hotline" / "cases" / "organisations.example.yml"


def example_data() -> dict:
    return yaml.safe_load(Path(EXAMPLE).read_text(encoding="utf-8"))


def record(text, code="labor", intent="report_dispute", line=None):
    return build_record(text, {"name": intent, "confidence": 0.9}, {"code": code, "confidence": 0.9}, line=line)


@pytest.fixture
def orgs(sessions):
    """The sample county (青山县) loaded into the database."""
    with sessions.begin() as session:
        load(session, example_data())
    return sessions


@pytest.fixture
def people(sessions):
    """Two mediators, an operator and an admin; returns their ids by name."""
    with sessions.begin() as session:
        made = {
            name: create_user(session, name, "password-123", role, display)
            for name, role, display in [("zhang", "mediator", "张调解"), ("li", "mediator", "李调解"),
                                        ("wang", "operator", "王话务"), ("admin", "admin", "管理员")]
        }
        return {name: user.id for name, user in made.items()}


def intake_fields(kwargs):
    """Take the Intake fields (channel, sender_id, ...) out of a test's keyword arguments; the rest go to open_case."""
    names = {f.name for f in dataclasses.fields(Intake)}
    return {key: kwargs.pop(key) for key in list(kwargs) if key in names}


@pytest.fixture
def make_case():
    """open_case with a triage record built from the text; returns the case."""
    keys = itertools.count()

    def make(session, text, code="neighbor", *, location=None, now=NOW, respondent=None, intent="report_dispute",
             **kwargs):
        case, created = open_case(
            session,
            "bot",
            Intake(
                text=text, triage=record(text, code, intent), key=f"test:{next(keys)}", location=location,
                respondent=respondent, transcript=[("citizen", text)], **intake_fields(kwargs),
            ),
            now=now,
            **kwargs,
        )
        assert created
        return case

    return make
