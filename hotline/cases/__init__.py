"""The case service: models, the closed-loop lifecycle, the queue and accounts."""
from hotline.cases.lifecycle import QUEUE_STATUSES, STATUS_NAMES, TRANSITIONS, WARNING_NAMES, TransitionError
from hotline.cases.models import Base, Case, CaseEvent, CaseMessage, InboundMessage, User

__all__ = [
    "Base", "Case", "CaseEvent", "CaseMessage", "InboundMessage", "User",
    "QUEUE_STATUSES", "STATUS_NAMES", "TRANSITIONS", "WARNING_NAMES", "TransitionError",
]
