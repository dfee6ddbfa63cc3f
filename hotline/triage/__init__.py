"""Pure triage of a hotline message: taxonomy, numbers, rule entities, risk signals, levels, routes, the record."""

from .entities import extract_entities, is_valid_id_number, mask_pii
from .numbers import parse_chinese_number
from .record import build_record, with_dispute_type
from .risk import Signal, detect_signals, warning_level
from .routing import route
from .taxonomy import DISPUTE_TYPES, INTENTS, WARNING_LEVELS, dispute_name

__all__ = [
    "DISPUTE_TYPES",
    "INTENTS",
    "WARNING_LEVELS",
    "Signal",
    "build_record",
    "detect_signals",
    "dispute_name",
    "extract_entities",
    "is_valid_id_number",
    "mask_pii",
    "parse_chinese_number",
    "route",
    "warning_level",
    "with_dispute_type",
]
