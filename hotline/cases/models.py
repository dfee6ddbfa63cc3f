"""Tables of the case service: people, cases, their audit trail, transcript and intake."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()

# Statuses in which a case is still being worked on: it has a live deadline and can be overdue.
OPEN_STATUS_SQL = "status IN ('reported', 'registered', 'assigned', 'in_progress', 'reopened')"
# What the dashboard groups by (hotline/cases/stats.py), carried in the created_at index on PostgreSQL.
DASHBOARD_COLUMNS = ("dispute_type", "tier", "line", "route_to", "status", "warning_level", "outcome",
                     "organisation_id", "deadline_at")
# Waiting for a mediator (lifecycle.QUEUE_STATUSES) and nobody holds it.
QUEUE_SQL = "assignee_id IS NULL AND status IN ('assigned', 'registered', 'reopened', 'reported')"


def utcnow() -> dt.datetime:
    """Naive UTC: SQLite keeps no zone, so every timestamp is UTC by convention."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class User(Base):
    """A person who signs in: admin, mediator, operator, lawyer (12348) or viewer."""

    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(128), nullable=False, default="")
    password_hash = Column(String(256), nullable=False)
    role = Column(String(16), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    # Where a mediator works and what they know best (loaded from the organisations file).
    organisation_id = Column(Integer, ForeignKey("organisations.id"))
    specialisms = Column(JSON, nullable=False, default=list)
    # The organisation's lead (主任): may change a case a colleague holds there or in the tiers below.
    is_lead = Column(Boolean, nullable=False, default=False, server_default=text("false"))

    organisation = relationship("Organisation", lazy="selectin", foreign_keys=[organisation_id])


class Area(Base):
    """A place in the county: the county itself, towns and streets, villages and communities."""

    __tablename__ = "areas"
    id = Column(Integer, primary_key=True)
    code = Column(String(64), nullable=False, unique=True)
    name = Column(String(128), nullable=False)
    kind = Column(String(16), nullable=False)  # county | town | street | village | community
    parent_id = Column(Integer, ForeignKey("areas.id"))
    # Other names people use for the place (小区 names, old names), matched in a case's location.
    aliases = Column(JSON, nullable=False, default=list)

    parent = relationship("Area", remote_side=[id], lazy="selectin")


class Organisation(Base):
    """A body that handles disputes: a mediation room or centre at a tier, or a specialist committee."""

    __tablename__ = "organisations"
    id = Column(Integer, primary_key=True)
    code = Column(String(64), nullable=False, unique=True)
    name = Column(String(128), nullable=False)
    kind = Column(String(32), nullable=False)  # mediation | committee | arbitration | consumer
    tier = Column(String(16))  # village | town | city
    area_id = Column(Integer, ForeignKey("areas.id"))
    # Where a case goes when this body's deadline passes or its mediator escalates.
    parent_id = Column(Integer, ForeignKey("organisations.id"))
    # Routes of the triage record this body accepts besides its tier (e.g. committee:medical).
    routes = Column(JSON, nullable=False, default=list)
    specialisms = Column(JSON, nullable=False, default=list)
    phone = Column(String(32))
    address = Column(String(255))

    area = relationship("Area", lazy="selectin")
    parent = relationship("Organisation", remote_side=[id], lazy="selectin")


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
    # 3 orange, 2 red, 1 yellow, 0 none: kept beside warning_level so the queue's order is an index scan.
    warning_rank = Column(SmallInteger, nullable=False, default=0)
    organisation_id = Column(Integer, ForeignKey("organisations.id"))
    # Collective disputes: the other side and the place, normalised for matching.
    respondent = Column(String(255))
    respondent_key = Column(String(255))
    place_key = Column(String(255))
    people_count = Column(Integer)
    group_id = Column(Integer, ForeignKey("case_groups.id"))
    # Set by the deadline job when it found the case overdue and could not escalate it further.
    overdue_flagged_at = Column(DateTime)
    escalations = Column(Integer, nullable=False, default=0)
    transferred_to = Column(String(32))
    # Outcome (事件反馈) and evaluation (考核评价).
    outcome = Column(String(16))  # success | failed
    agreement = Column(Text)
    next_path = Column(String(16))  # court | arbitration | administrative
    difficulty = Column(String(16))  # general | difficult | major
    resolved_at = Column(DateTime)
    rating = Column(SmallInteger)
    evaluation = Column(Text)
    closed_at = Column(DateTime)
    # The citizen's own rating of the service (1-5) and comment, asked on their channel after resolution.
    citizen_rating = Column(SmallInteger)
    citizen_comment = Column(Text)
    rated_at = Column(DateTime)
    # Nobody picked up an online hand-off in time and the citizen asked to be called back.
    callback_requested_at = Column(DateTime)

    assignee = relationship("User", lazy="joined")
    organisation = relationship("Organisation", lazy="selectin")
    group = relationship("CaseGroup", lazy="selectin", back_populates="members")
    events = relationship("CaseEvent", order_by="CaseEvent.id", back_populates="case")
    messages = relationship("CaseMessage", order_by="CaseMessage.id", back_populates="case")
    parties = relationship("CaseParty", order_by="CaseParty.id", back_populates="case")
    documents = relationship("CaseDocument", order_by="CaseDocument.id", back_populates="case")

    __table_args__ = (
        Index("ix_cases_queue", "status", "assignee_id", "deadline_at"),
        Index("ix_cases_sender", "channel", "sender_id"),
        # The queue page: unclaimed cases by level, then deadline (a partial index, small and ordered).
        Index("ix_cases_queue_order", text("warning_rank DESC"), "deadline_at", "id",
              postgresql_where=text(QUEUE_SQL), sqlite_where=text(QUEUE_SQL)),
        # The deadline job and the overdue filter look only at cases still being worked on; on PostgreSQL
        # the dashboard's overdue count of a date range, line and area is an index-only scan of it.
        Index("ix_cases_open_deadline", "deadline_at", postgresql_include=["created_at", "line", "organisation_id"],
              postgresql_where=text(OPEN_STATUS_SQL), sqlite_where=text(OPEN_STATUS_SQL)),
        Index("ix_cases_assignee", "assignee_id", "status"),
        Index("ix_cases_group_place", "dispute_type", "place_key", "created_at"),
        Index("ix_cases_group_respondent", "dispute_type", "respondent_key", "created_at"),
        Index("ix_cases_group", "group_id"),
        Index("ix_cases_organisation", "organisation_id", "status"),
        # The dashboard: every figure is over a date range of when cases came in. On PostgreSQL the index
        # carries the columns it groups by, so a figure is an index-only scan of the range.
        Index("ix_cases_created", "created_at", postgresql_include=list(DASHBOARD_COLUMNS)),
        # A seat looks up a caller's earlier cases by phone number.
        Index("ix_cases_contact_phone", "contact_phone"),
    )


class CaseDailyCount(Base):
    """The dashboard's daily roll-up: cases that came in on a day, counted by one figure's value.

    A row says: `n` cases that came in on local day `day` (China Standard Time) on `line` and sit with
    organisation `organisation_id` have `value` for `dimension` (a Case column: status, dispute_type ...).
    A `month` row counts the whole month that starts on `day`, so a year is read as twelve months and
    the days at its ends. Kept in the transaction of every case change by hotline/cases/rollup.py, which
    appends +1 / -1 rows (merged false) that a job later merges into one row per key; a figure is the
    sum of its rows.
    """

    __tablename__ = "case_daily_counts"
    id = Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    day = Column(Date, nullable=False)
    month = Column(Boolean, nullable=False, default=False, server_default=text("false"))
    line = Column(String(8))
    organisation_id = Column(Integer)
    dimension = Column(String(16), nullable=False)
    value = Column(String(255))
    n = Column(Integer, nullable=False)
    merged = Column(Boolean, nullable=False, default=False, server_default=text("false"))

    __table_args__ = (
        # A figure over a date range is an index-only scan of its dimension's days on PostgreSQL.
        Index("ix_case_daily_counts_figure", "dimension", "month", "day",
              postgresql_include=["line", "organisation_id", "value", "n"]),
        # The days with rows still to merge.
        Index("ix_case_daily_counts_unmerged", "day", postgresql_where=text("NOT merged"),
              sqlite_where=text("NOT merged")),
    )


class CaseGroup(Base):
    """A collective dispute: cases about the same respondent or place and dispute type."""

    __tablename__ = "case_groups"
    id = Column(Integer, primary_key=True)
    dispute_type = Column(String(32), nullable=False)
    respondent = Column(String(255))
    place = Column(String(255))
    head_count = Column(Integer, nullable=False, default=0)
    warning_level = Column(String(8))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)

    members = relationship("Case", order_by="Case.id", back_populates="group", lazy="select")


class CaseParty(Base):
    """A party to the dispute: the applicant (申请人), the respondent (被申请人), or another person."""

    __tablename__ = "case_parties"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id"), nullable=False, index=True)
    role = Column(String(16), nullable=False)  # applicant | respondent | other
    name = Column(String(255), nullable=False)
    phone = Column(String(32))
    note = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    case = relationship("Case", back_populates="parties")


class CaseDocument(Base):
    """A document in the case file: the agreement, a mediation record, evidence described in text."""

    __tablename__ = "case_documents"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id"), nullable=False, index=True)
    kind = Column(String(16), nullable=False)  # agreement | record | evidence | other
    title = Column(String(255), nullable=False)
    body = Column(Text, nullable=False, default="")
    created_by = Column(String(128), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    case = relationship("Case", back_populates="documents")


class ApiToken(Base):
    """A bearer token for a system (with a role) or acting as one person; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"
    id = Column(Integer, primary_key=True)
    name = Column(String(64), nullable=False, unique=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    role = Column(String(16))
    user_id = Column(Integer, ForeignKey("users.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    revoked_at = Column(DateTime)

    user = relationship("User", lazy="joined")


class JobLock(Base):
    """A lease on a timed job where the database has no advisory locks (SQLite)."""

    __tablename__ = "job_locks"
    name = Column(String(64), primary_key=True)
    holder = Column(String(128))
    expires_at = Column(DateTime)


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
    # What else changed: levels, organisation, assignee, group (never rewritten: triggers refuse it).
    detail = Column(JSON)

    case = relationship("Case", back_populates="events")


class CaseMessage(Base):
    """The case's transcript: what the citizen, the bot and people said."""

    __tablename__ = "case_messages"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id"), nullable=False, index=True)
    sender = Column(String(16), nullable=False)  # citizen | bot | mediator | system
    text = Column(Text, nullable=False)
    # Who said it when a person did (user:zhang), for the case file.
    author = Column(String(128))
    at = Column(DateTime, nullable=False, default=utcnow)

    case = relationship("Case", back_populates="messages")


class InboundMessage(Base):
    """Every message that reaches us, stored before it is processed."""

    __tablename__ = "inbound_messages"
    id = Column(Integer, primary_key=True)
    channel = Column(String(16), nullable=False)
    message_id = Column(String(128), nullable=False)
    sender_id = Column(String(128), nullable=False)
    # Clear until processed, then masked (hotline.privacy): the clear value lives only in consented case fields.
    text = Column(Text, nullable=False)
    media = Column(JSON)  # what came besides text: {"type": "voice", "recognition": ...}
    client = Column(String(64))  # keyed hash of the web client's address (limits per client, not per id)
    status = Column(String(16), nullable=False, default="received")  # received|processing|processed|failed
    replies = Column(JSON)
    error = Column(Text)
    received_at = Column(DateTime, nullable=False, default=utcnow)
    claimed_at = Column(DateTime)  # when a worker last took it up (a claim older than the inbox's limit is dead)
    processed_at = Column(DateTime)

    __table_args__ = (
        UniqueConstraint("channel", "message_id", name="uq_inbound_channel_message"),
        Index("ix_inbound_pending", "status", "id"),
        Index("ix_inbound_conversation", "channel", "sender_id", "id"),
    )


# A hand-off that still holds the conversation: the bot stays silent while one is open.
OPEN_HANDOFF_SQL = "status IN ('waiting', 'active')"


class Handoff(Base):
    """A conversation handed from the bot to a person (ConversationPaused until it ends)."""

    __tablename__ = "handoffs"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id"), nullable=False, index=True)
    channel = Column(String(16), nullable=False)
    sender_id = Column(String(128), nullable=False)
    reason = Column(String(16), nullable=False)  # request_human | fallback | warning | mediator
    status = Column(String(16), nullable=False, default="waiting")  # waiting | active | ended | timed_out
    requested_at = Column(DateTime, nullable=False, default=utcnow)
    accepted_at = Column(DateTime)
    accepted_by_id = Column(Integer, ForeignKey("users.id"))
    ended_at = Column(DateTime)
    ended_by = Column(String(128))

    case = relationship("Case", lazy="joined")
    accepted_by = relationship("User", lazy="joined")

    __table_args__ = (
        # One open hand-off per conversation, enforced by the database.
        Index("uq_handoffs_open", "channel", "sender_id", unique=True,
              postgresql_where=text(OPEN_HANDOFF_SQL), sqlite_where=text(OPEN_HANDOFF_SQL)),
        Index("ix_handoffs_waiting", "status", "requested_at"),
    )


class OutboxMessage(Base):
    """Something we owe the outside: a message to a citizen on their channel, or a command to the Rasa server.

    Stored in the transaction that decided it, delivered afterwards, retried
    until it is delivered, and marked sent once.
    """

    __tablename__ = "outbox"
    id = Column(Integer, primary_key=True)
    target = Column(String(8), nullable=False)  # citizen | rasa
    channel = Column(String(16), nullable=False)
    recipient = Column(String(128), nullable=False)  # the conversation: the channel's sender id
    case_id = Column(Integer, ForeignKey("cases.id"), index=True)
    author = Column(String(16))  # mediator | bot | system (citizen messages)
    author_name = Column(String(128))
    text = Column(Text)
    # Buttons of a citizen message; the command of a Rasa one ({"events": [...]} or {"execute": "action_x"}).
    payload = Column(JSON)
    # pending | sending | sent | delivered | failed (delivered: the provider's status callback said so)
    status = Column(String(16), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime, nullable=False, default=utcnow)
    last_error = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    sent_at = Column(DateTime)
    provider_id = Column(String(64), index=True)  # the provider's id of the sent message (Twilio's MessageSid)
    delivered_at = Column(DateTime)

    __table_args__ = (
        Index("ix_outbox_conversation", "channel", "recipient", "id"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )


class WorkOrder(Base):
    """A call passed from one seat to another (12345 -> 12348 / 110, or to a mediator's queue).

    It carries the caller's words, the triage record and the operator's note,
    so the receiving seat does not ask the caller to start again.
    """

    __tablename__ = "work_orders"
    id = Column(Integer, primary_key=True)
    from_line = Column(String(8), nullable=False)
    to_line = Column(String(16), nullable=False)  # 110 | 12348 | 12345 | mediation
    caller_text = Column(Text, nullable=False)
    triage = Column(JSON, nullable=False, default=dict)
    note = Column(Text)
    caller_phone = Column(String(32))
    pii_consent = Column(Boolean, nullable=False, default=False)
    case_id = Column(Integer, ForeignKey("cases.id"))
    status = Column(String(16), nullable=False, default="sent")  # sent | received | done
    created_by_id = Column(Integer, ForeignKey("users.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    received_by_id = Column(Integer, ForeignKey("users.id"))
    received_at = Column(DateTime)

    case = relationship("Case", lazy="joined")
    created_by = relationship("User", lazy="joined", foreign_keys=[created_by_id])
    received_by = relationship("User", lazy="joined", foreign_keys=[received_by_id])

    __table_args__ = (Index("ix_work_orders_inbox", "to_line", "status", "id"),)


class StatusLookup(Base):
    """One attempt to look a case up by number and phone tail: the record that limits guessing."""

    __tablename__ = "status_lookups"
    id = Column(Integer, primary_key=True)
    case_number = Column(String(32), nullable=False)
    requester = Column(String(160), nullable=False)  # channel:sender_id
    client = Column(String(64))  # the web client behind the conversation (inbound_messages.client)
    ok = Column(Boolean, nullable=False)
    at = Column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_status_lookups_case", "case_number", "at"),
        Index("ix_status_lookups_requester", "requester", "at"),
        Index("ix_status_lookups_client", "client", "at"),
    )


class ChannelToken(Base):
    """A provider's access token (WeChat's), cached once for every worker until shortly before it expires."""

    __tablename__ = "channel_tokens"
    name = Column(String(64), primary_key=True)
    value = Column(Text, nullable=False)
    expires_at = Column(DateTime, nullable=False)


class LegalReview(Base):
    """A lawyer's or admin's verdict on one version of a legal FAQ entry: approved, or sent back with a comment."""

    __tablename__ = "legal_reviews"
    id = Column(Integer, primary_key=True)
    entry_id = Column(String(64), nullable=False)
    # hotline.legal.review.fingerprint of the entry as reviewed: an edit needs a new review.
    fingerprint = Column(String(64), nullable=False)
    decision = Column(String(16), nullable=False)  # approved | returned
    reviewer_id = Column(Integer, ForeignKey("users.id"), nullable=False)
    comment = Column(Text, nullable=False, default="")
    law_version = Column(String(200), nullable=False, default="")
    at = Column(DateTime, nullable=False, default=utcnow)

    reviewer = relationship("User", lazy="selectin")

    __table_args__ = (Index("ix_legal_reviews_entry", "entry_id", "at"),)
