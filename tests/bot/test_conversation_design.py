"""The conversation design as data: rasa data validate without warnings, every test story predicted right,
and every custom action the domain names served by the action server."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from hotline.config import PROJECT_ROOT

BIN = Path(sys.executable).parent
DATA = ["--domain", "bot/domain", "--data", "nlu_data", "bot/stories", "bot/rules"]


def _run(args, tmp_path):
    env = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
           "PATH": str(BIN) + ":/usr/bin:/bin", "HOME": str(tmp_path)}
    return subprocess.run([str(BIN / "rasa"), *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=900)


def test_rasa_data_validate_has_no_warnings(tmp_path):
    done = _run(["data", "validate", "--config", "config.yml", *DATA, "--fail-on-warnings"], tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "is not used in any story or rule" not in output
    assert "not found in the NLU training data" not in output


def test_every_test_story_is_predicted_right(model_path, tmp_path):
    done = _run(["test", "core", "--model", str(model_path), "--stories", "tests/stories",
                 "--fail-on-prediction-errors", "--out", str(tmp_path / "results")], tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "WrongPredictionException" not in output


def _domain_actions():
    names = set()
    for path in (PROJECT_ROOT / "bot" / "domain").glob("*.yml"):
        names.update(yaml.safe_load(path.read_text(encoding="utf-8")).get("actions") or [])
    return names


def test_the_action_server_serves_exactly_the_domains_custom_actions():
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    served = set(executor.actions)
    # Rasa runs these itself unless the action server overrides them (the two-stage fallback's steps we do).
    built_in = {"action_deactivate_loop", "action_two_stage_fallback"}
    assert _domain_actions() - built_in == served


def _domain_responses():
    names = set()
    for path in (PROJECT_ROOT / "bot" / "domain").glob("*.yml"):
        names.update((yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {}).keys())
    return names


def _named_responses():
    """utter_* steps of stories and rules, and response="..." in the actions' code, with where they are named."""
    import re

    named = {}
    for folder in ("bot/stories", "bot/rules", "tests/stories"):
        for path in (PROJECT_ROOT / folder).glob("*.yml"):
            for found in re.finditer(r"action:\s*(utter_\w+)", path.read_text(encoding="utf-8")):
                named.setdefault(found.group(1), str(path.relative_to(PROJECT_ROOT)))
    for path in (PROJECT_ROOT / "actions").glob("*.py"):
        for found in re.finditer(r"response\s*=\s*[\"'](\w+)[\"']", path.read_text(encoding="utf-8")):
            named.setdefault(found.group(1), str(path.relative_to(PROJECT_ROOT)))
    return named


def test_every_response_a_story_rule_or_action_names_exists():
    named = _named_responses()
    assert named, "no response named anywhere: the scan is broken"
    missing = {name: where for name, where in named.items() if name not in _domain_responses()}
    assert not missing, f"responses named but not in bot/domain: {missing}"
