"""rasa data validate, strict: every warning fails except an unused response that our code or a form says.

Rasa's validator warns "The utterance 'utter_x' is not used in any story or
rule" for every response no story or rule names, and `--fail-on-warnings`
fails on it. Our actions and hotline/ name most responses in code
(`dispatcher.utter_message(response="utter_x", ...)`, `wording.text("utter_x")`),
and forms ask `utter_ask_<slot>`: those warnings, and only for exactly those
names, are expected. Every other warning (any response nobody names, an
intent without examples, a story conflict, ...) fails.

Run: `python -m bot.validate` (what `make validate` runs); exit status 1 on failure.
"""
from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path
from typing import Dict, Iterable, List, Set, Tuple

import yaml

from hotline.config import PROJECT_ROOT

CONFIG = "config.yml"
DOMAIN = "bot/domain"
DATA = ("nlu_data", "bot/stories", "bot/rules")
# Where code names responses: every quoted utter_* in these folders counts as a use.
CODE_FOLDERS = ("actions", "hotline")
_QUOTED_RESPONSE = re.compile(r"[\"'](utter_\w+)[\"']")
_UNUSED = re.compile(r"The utterance '(\w+)' is not used in any story or rule\.")


def _domain_files(root: Path) -> List[Path]:
    return sorted((root / DOMAIN).glob("*.yml"))


def responses_named_in_code(root: Path = PROJECT_ROOT) -> Dict[str, str]:
    """Each response name quoted in actions/ and hotline/, with the first file that names it."""
    named: Dict[str, str] = {}
    for folder in CODE_FOLDERS:
        for path in sorted((root / folder).rglob("*.py")):
            for found in _QUOTED_RESPONSE.finditer(path.read_text(encoding="utf-8")):
                named.setdefault(found.group(1), str(path.relative_to(root)))
    return named


def responses_asked_by_forms(root: Path = PROJECT_ROOT) -> Dict[str, str]:
    """utter_ask_<slot> defined for a form slot that has no action_ask_<slot>: Rasa's form says it, with the form.

    (A form slot with neither is asked by its validation action: the callback phone, the rating.)
    """
    forms: Dict[str, Iterable[str]] = {}
    actions: Set[str] = set()
    responses: Set[str] = set()
    for path in _domain_files(root):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        actions.update(data.get("actions") or [])
        responses.update(data.get("responses") or {})
        for form, spec in (data.get("forms") or {}).items():
            forms[form] = (spec or {}).get("required_slots") or []
    return {f"utter_ask_{slot}": form for form, slots in forms.items() for slot in slots
            if f"utter_ask_{slot}" in responses
            and f"action_ask_{slot}" not in actions and f"action_ask_{form}_{slot}" not in actions}


def expected_unused(root: Path = PROJECT_ROOT) -> Set[str]:
    """The responses that may go unnamed by stories and rules: those code or a form says."""
    return set(responses_named_in_code(root)) | set(responses_asked_by_forms(root))


def run_validator(root: Path = PROJECT_ROOT) -> Tuple[bool, List[str]]:
    """Rasa's checks (as `rasa data validate` runs them) and every warning they raised, as text."""
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.validator import Validator

    importer = TrainingDataImporter.load_from_config(
        config_path=str(root / CONFIG), domain_path=str(root / DOMAIN),
        training_data_paths=[str(root / folder) for folder in DATA])
    # Loading says things about Rasa itself ("Slot auto-fill has been removed in 3.0"), for any domain:
    # like --fail-on-warnings, only the checks' warnings count.
    validator = Validator.from_importer(importer)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        checks = [
            validator.verify_domain_validity(),
            validator.verify_actions_in_stories_rules(),
            validator.verify_forms_in_stories_rules(),
            validator.verify_form_slots(),
            validator.verify_slot_mappings(),
            # Warnings are collected and judged below rather than failing here.
            validator.verify_nlu(ignore_warnings=True),
            # A story conflict is logged, not warned: it fails here, as with --fail-on-warnings.
            validator.verify_story_structure(ignore_warnings=False),
        ]
        validator.warn_if_config_mandatory_keys_are_not_set()
    said = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    return all(checks), said


def judge(ok: bool, said: Iterable[str], expected: Set[str]) -> List[str]:
    """The problems: a failed check, and every warning but "not used" for an expected response."""
    problems = [] if ok else ["a validator check failed (see the log above)"]
    for message in said:
        unused = _UNUSED.search(message)
        if unused and unused.group(1) in expected:
            continue
        problems.append(message)
    return problems


def main() -> int:
    ok, said = run_validator()
    problems = judge(ok, said, expected_unused())
    for problem in problems:
        print(f"validate: {problem}", file=sys.stderr)
    print("validate: " + ("FAILED" if problems else "ok (strict; responses said by code or forms allowed unused)"),
          file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
