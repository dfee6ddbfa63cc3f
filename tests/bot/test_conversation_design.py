"""The conversation design as data: strict rasa data validate (bot/validate.py), every test story predicted right,
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


def _validate(root=PROJECT_ROOT):
    """bot/validate.py's run, in process; Rasa's own deprecations are not ours to fail on."""
    import warnings

    from bot.validate import run_validator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return run_validator(root)


def test_rasa_data_validate_is_strict_but_for_responses_our_code_says():
    from bot.validate import expected_unused, judge

    ok, said = _validate()
    assert judge(ok, said, expected_unused()) == []
    # The only warnings let through are "not used in any story or rule" for responses code or a form says.
    unused = {m for m in said if "is not used in any story or rule" in m}
    assert unused and len(unused) == len(said)


def test_the_validate_wrapper_fails_on_a_response_nobody_says(tmp_path):
    import shutil

    from bot.validate import expected_unused, judge

    for folder in ("bot/domain", "nlu_data", "bot/stories", "bot/rules"):
        shutil.copytree(PROJECT_ROOT / folder, tmp_path / folder)
    shutil.copy(PROJECT_ROOT / "config.yml", tmp_path / "config.yml")
    (tmp_path / "bot/domain/extra.yml").write_text(
        'version: "3.1"\nresponses:\n  utter_nobody_says_this:\n    - text: "没有人说这句话。"\n', encoding="utf-8")
    ok, said = _validate(tmp_path)
    problems = judge(ok, said, expected_unused(PROJECT_ROOT))
    assert problems == ["The utterance 'utter_nobody_says_this' is not used in any story or rule."]


def test_only_unused_warnings_for_expected_responses_are_let_through():
    from bot.validate import judge

    unused = "The utterance 'utter_x' is not used in any story or rule."
    assert judge(True, [unused], {"utter_x"}) == []
    assert judge(True, [unused], {"utter_y"}) == [unused]
    assert judge(True, ["The intent 'greet' is not used in any story or rule."], {"utter_x"}) != []
    assert judge(False, [], {"utter_x"}) != []


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
    """utter_* steps of stories and rules, responses named in actions/ and hotline/, and the forms' questions."""
    import re

    from bot.validate import responses_asked_by_forms, responses_named_in_code

    named = {}
    for folder in ("bot/stories", "bot/rules", "tests/stories"):
        for path in (PROJECT_ROOT / folder).glob("*.yml"):
            for found in re.finditer(r"action:\s*(utter_\w+)", path.read_text(encoding="utf-8")):
                named.setdefault(found.group(1), str(path.relative_to(PROJECT_ROOT)))
    for name, where in {**responses_asked_by_forms(), **responses_named_in_code()}.items():
        named.setdefault(name, where)
    return named


def test_every_response_a_story_rule_action_or_form_names_exists():
    named = _named_responses()
    assert "utter_greet" in named and "utter_report_resumed" in named, "the scan is broken"
    missing = {name: where for name, where in named.items() if name not in _domain_responses()}
    assert not missing, f"responses named but not in bot/domain: {missing}"


def test_every_response_renders_and_says_您_not_你():
    from hotline.conversations import wording

    for name, variations in wording.responses().items():
        assert any(not v.get("condition") for v in variations), f"{name} has no variation without a condition"
        for variation in variations:
            text = variation["text"]
            assert "你" not in text.replace("您", ""), f"{name}: {text}"
            text.format_map(wording._Keep())  # a stray brace would break Rasa's filling too


def test_the_chat_page_still_styles_the_domains_danger_texts():
    """chat.js keys the danger style on the openings of the danger replies: an edit in the domain must keep them."""
    import re

    from hotline.conversations import wording

    script = (PROJECT_ROOT / "hotline/web/static/chat.js").read_text(encoding="utf-8")
    danger = re.compile(re.search(r"var DANGER = /(.+)/;", script).group(1))
    for name in ("utter_emergency", "utter_emergency_followup", "utter_emergency_waiting"):
        assert danger.match(wording.text(name)), name
    assert not danger.match(wording.text("utter_greet"))
