"""The case service: models, the closed-loop lifecycle, the queue and accounts."""
from hotline.cases.lifecycle import QUEUE_STATUSES, STATUS_NAMES, TRANSITIONS, WARNING_NAMES, TransitionError
from hotline.cases.models import (
    ApiToken,
    Area,
    Base,
    Case,
    CaseDocument,
    CaseEvent,
    CaseGroup,
    CaseMessage,
    CaseParty,
    InboundMessage,
    JobLock,
    Organisation,
    User,
)
# The dashboard's daily roll-up counts every case change in its own transaction (a flush listener).
from hotline.cases import rollup

__all__ = [
    "ApiToken", "Area", "Base", "Case", "CaseDocument", "CaseEvent", "CaseGroup", "CaseMessage", "CaseParty",
    "InboundMessage", "JobLock", "Organisation", "User", "rollup",
    "QUEUE_STATUSES", "STATUS_NAMES", "TRANSITIONS", "WARNING_NAMES", "TransitionError",
]
