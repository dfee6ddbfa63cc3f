"""Tables of the case service: people, cases, their audit trail, transcript and intake."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


def utcnow() -> dt.datetime:
    """Naive UTC: SQLite keeps no zone, so every timestamp is UTC by convention."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class User(Base):
    """A person who signs in: mediator, operator or admin."""

    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(128), nullable=False, default="")
    password_hash = Column(String(256), nullable=False)
    role = Column(String(16), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class Case(Base):
    """One dispute or request, from report to close (一案一卷)."""

    __tablename__ = "cases"
    id = Column(Integer, primary_key=True)
    number = Column(String(32), unique=True)
    status = Column(String(16), nullable=False, default="reported")
    # Where it came from: line of entry, channel and the conversation on it.
    line = Column(String(8))
    channel = Column(String(16), nullable=False, default="webchat")
    sender_id = Column(String(128))
    # Idempotency: one report (conversation + the message that started it) opens one case.
    intake_key = Column(String(255), nullable=False, unique=True)
    description = Column(Text, nullable=False, default="")
    intent = Column(String(32))
    dispute_type = Column(String(32))
    warning_level = Column(String(8))
    risk_signals = Column(JSON, nullable=False, default=list)
    triage = Column(JSON, nullable=False, default=dict)
    route_to = Column(String(64))
    route_reason = Column(Text)
    tier = Column(String(16))
    committee = Column(String(32))
    urgency = Column(String(16), nullable=False, default="general")
    location = Column(String(255))
    # Personal data only with consent (个人信息保护法 Art. 13/17).
    pii_consent = Column(Boolean, nullable=False, default=False)
    contact_phone = Column(String(32))
    deadline_at = Column(DateTime, nullable=False)
    assignee_id = Column(Integer, ForeignKey("users.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    assignee = relationship("User", lazy="joined")
    events = relationship("CaseEvent", order_by="CaseEvent.id", back_populates="case")
    messages = relationship("CaseMessage", order_by="CaseMessage.id", back_populates="case")

    __table_args__ = (
        Index("ix_cases_queue", "status", "assignee_id", "deadline_at"),
        Index("ix_cases_sender", "channel", "sender_id"),
    )


class CaseEvent(Base):
    """Append-only audit entry: who changed what, when, from which state to which."""

    __tablename__ = "case_events"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id"), nullable=False, index=True)
    at = Column(DateTime, nullable=False, default=utcnow)
    actor = Column(String(128), nullable=False)
    action = Column(String(32), nullable=False)
    from_status = Column(String(16))
    to_status = Column(String(16))
    note = Column(Text)

    case = relationship("Case", back_populates="events")


class CaseMessage(Base):
    """The case's transcript: what the citizen, the bot and people said."""

    __tablename__ = "case_messages"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id"), nullable=False, index=True)
    sender = Column(String(16), nullable=False)  # citizen | bot | mediator | system
    text = Column(Text, nullable=False)
    at = Column(DateTime, nullable=False, default=utcnow)

    case = relationship("Case", back_populates="messages")


class InboundMessage(Base):
    """Every message that reaches us, stored before it is processed."""

    __tablename__ = "inbound_messages"
    id = Column(Integer, primary_key=True)
    channel = Column(String(16), nullable=False)
    message_id = Column(String(128), nullable=False)
    sender_id = Column(String(128), nullable=False)
    text = Column(Text, nullable=False)
    status = Column(String(16), nullable=False, default="received")  # received|processing|processed|failed
    replies = Column(JSON)
    error = Column(Text)
    received_at = Column(DateTime, nullable=False, default=utcnow)
    processed_at = Column(DateTime)

    __table_args__ = (UniqueConstraint("channel", "message_id", name="uq_inbound_channel_message"),)
