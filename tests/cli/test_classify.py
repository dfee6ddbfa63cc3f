"""`hotline classify`: batch triage of exported work orders, with the real model."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.config import PROJECT_ROOT

BIN = Path(sys.executable).parent


def classify(*args, input_text=None, env=None):
    import os

    return subprocess.run([str(BIN / "hotline"), "classify", *args], input=input_text, text=True,
                          capture_output=True, cwd=PROJECT_ROOT, env={**os.environ, **(env or {})}, timeout=600)


def test_jsonl_file_in_order_with_a_bad_line_reported(tmp_path, model_path):
    orders = tmp_path / "orders.jsonl"
    orders.write_text("\n".join([
        json.dumps({"text": "老板欠我三个月工资怎么办", "line": "12348"}, ensure_ascii=False),
        "{这不是JSON",
        json.dumps({"text": "邻居拿着刀在砸我家门"}, ensure_ascii=False),
        json.dumps({"line": "12345"}),
        json.dumps({"text": "老板拖欠我们二十多个人三个月工资，大家说要去市政府门口拉横幅", "line": "12345"},
                   ensure_ascii=False),
    ]) + "\n", encoding="utf-8")
    out = tmp_path / "triaged.jsonl"
    result = classify(str(orders), "--output", str(out), "--model", str(model_path))
    assert result.returncode == 3, result.stderr
    assert "第 2 行已跳过" in result.stderr and "第 4 行已跳过" in result.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in records] == [
        "老板欠我三个月工资怎么办", "邻居拿着刀在砸我家门", "老板拖欠我们二十多个人三个月工资，大家说要去市政府门口拉横幅"]
    wage, knife, collective = records
    assert wage["line"] == "12348" and wage["dispute_type"]["code"] == "labor"
    assert knife["intent"]["name"] == "emergency" and knife["route"]["to"] == "110"
    assert collective["warning_level"] == "orange" and "people_count:20" in collective["risk_signals"]
    for r in records:
        assert set(r) >= {"text", "line", "intent", "dispute_type", "warning_level", "risk_signals", "entities", "route"}


def test_csv_from_standard_input(model_path):
    result = classify("--model", str(model_path), input_text="id,text\n1,楼上天天半夜蹦迪吵得睡不着\n2,\n")
    assert result.returncode == 3
    assert "第 3 行已跳过" in result.stderr
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["dispute_type"]["code"] == "neighbor" and record["line"] is None


def test_missing_model_is_a_clear_error(tmp_path):
    result = classify("--model", str(tmp_path / "none.tar.gz"), input_text='{"text": "你好"}\n')
    assert result.returncode == 1
    assert "make train" in result.stderr


def test_unreadable_file_is_a_clear_error(tmp_path, model_path):
    result = classify(str(tmp_path / "missing.jsonl"), "--model", str(model_path))
    assert result.returncode == 1 and "无法读取" in result.stderr


@pytest.mark.e2e
def test_through_a_running_rasa_server(stack):
    result = classify("--server", stack.rasa_url, "--token", stack.token,
                      input_text='{"text": "物业费凭啥一年涨了三百块", "line": "12345"}\n')
    assert result.returncode == 0, result.stderr
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["dispute_type"]["code"] == "property_mgmt" and record["line"] == "12345"
