"""`hotline evaluate` and `hotline train --extra`: how a county measures and closes its own gap."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hotline.config import PROJECT_ROOT

BIN = Path(sys.executable).parent


def hotline(*args, env=None):
    return subprocess.run([str(BIN / "hotline"), *args], text=True, capture_output=True, cwd=PROJECT_ROOT,
                          env={**os.environ, **(env or {})}, timeout=600)


ORDERS = [
    {"text": "老板拖欠我们三个月工资，一直说没钱", "intent": "report_dispute", "dispute_type": "labor"},
    {"text": "你好，我想问一下离婚后孩子的抚养费怎么算", "intent": "ask_legal", "dispute_type": "marriage_family"},
    {"text": "我们小区门口的路灯坏了一个月了，晚上很黑", "intent": "public_service", "dispute_type": ""},
    # Labelled as a dispute on purpose: the model should read it as a service request, a mistake to list.
    {"text": "自来水停了两天了，什么时候来水", "intent": "report_dispute", "dispute_type": "neighbor"},
]


def test_evaluate_reports_per_class_scores_confusion_and_confident_mistakes(tmp_path, model_path):
    labelled = tmp_path / "orders.jsonl"
    labelled.write_text("\n".join(json.dumps(o, ensure_ascii=False) for o in ORDERS) + "\n", encoding="utf-8")
    full = tmp_path / "result.json"
    result = hotline("evaluate", str(labelled), "--model", str(model_path), "--json", str(full))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "| intent | precision | recall | F1 | support |" in out
    assert "| dispute type | precision | recall | F1 | support |" in out
    assert "confusion (rows gold, columns predicted)" in out
    assert "most confident mistakes" in out and "自来水停了两天了" in out
    saved = json.loads(full.read_text(encoding="utf-8"))
    assert saved["n"] == 4
    assert saved["intent"]["per_class"]["public_service"]["support"] == 1
    wrong = [m["text"] for m in saved["mistakes"]]
    assert "自来水停了两天了，什么时候来水" in wrong
    assert "老板拖欠我们三个月工资，一直说没钱" not in wrong


def test_evaluate_names_a_label_the_model_cannot_produce(tmp_path, model_path):
    labelled = tmp_path / "orders.csv"
    labelled.write_text("text,intent,dispute_type\n楼上漏水,report_dispute,leak\n", encoding="utf-8")
    result = hotline("evaluate", str(labelled), "--model", str(model_path))
    assert result.returncode == 1
    assert "dispute_type「leak」不是已知纠纷类型" in result.stderr


def test_evaluate_needs_the_label_columns(tmp_path):
    labelled = tmp_path / "orders.csv"
    labelled.write_text("id,text\n1,楼上漏水\n", encoding="utf-8")
    result = hotline("evaluate", str(labelled))
    assert result.returncode == 1 and "CSV 缺少列：intent" in result.stderr


def test_extra_orders_change_the_model_hash_and_are_valid_training_data(tmp_path):
    extra = tmp_path / "extra"
    env = {"HOTLINE_EXTRA_NLU": str(extra)}
    before = hotline("train", "--hash-only", env=env)
    assert before.returncode == 0, before.stderr
    labelled = tmp_path / "county orders.csv"
    labelled.write_text("text,intent,dispute_type\n"
                        "村里的机耕路被水冲断了，拖拉机过不去,public_service,\n"
                        "邻居家的鸡天天跑到我家菜地里刨,report_dispute,neighbor\n"
                        "邻居家的鸡天天跑到我家菜地里刨,report_dispute,neighbor\n", encoding="utf-8")
    after = hotline("train", "--hash-only", "--extra", str(labelled), env=env)
    assert after.returncode == 0, after.stderr
    assert "已加入 2 条标注工单" in after.stderr
    assert after.stdout.strip() != before.stdout.strip()
    again = hotline("train", "--hash-only", env=env)
    assert again.stdout.strip() == after.stdout.strip()  # the same orders, the same model

    import warnings

    (written,) = extra.glob("*.yml")
    # Rasa's imports warn about their own deprecations on a fresh venv; not ours to fix.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from rasa.shared.nlu.training_data.loading import load_data

        data = load_data(str(written))
    by_text = {m.get("text"): m for m in data.intent_examples}
    chickens = by_text["邻居家的鸡天天跑到我家菜地里刨"]
    assert chickens.get("intent") == "report_dispute"
    assert chickens.get("metadata")["intent"]["dispute_type"] == "neighbor"
    assert by_text["村里的机耕路被水冲断了，拖拉机过不去"].get("intent") == "public_service"


def test_an_untyped_legal_order_is_refused_and_nothing_is_written(tmp_path):
    extra = tmp_path / "extra"
    labelled = tmp_path / "orders.jsonl"
    labelled.write_text(json.dumps({"text": "公司不给交社保合法吗", "intent": "ask_legal"}, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    result = hotline("train", "--hash-only", "--extra", str(labelled), env={"HOTLINE_EXTRA_NLU": str(extra)})
    assert result.returncode == 1
    assert "需要填写 dispute_type" in result.stderr
    assert not extra.exists() or not list(extra.glob("*.yml"))
