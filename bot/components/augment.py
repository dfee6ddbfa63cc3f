"""Training-time wrapping of short examples in the openings and closings real messages carry.

Real 12345 messages are letters ("尊敬的市长：您好！我是A3区…望有关部门尽快处理。") and real legal
questions open with "你好，我想问一下"; our examples are mostly the bare request. Wrapping a copy
of each request in such frames teaches the classifiers that the frame says nothing about the
intent or the dispute type: only the request does. Deterministic for a given random generator,
so a model's hash still pins its training data.
"""
from __future__ import annotations

import random
from typing import Iterable, List, Tuple

# Intents whose messages arrive as letters or as polite questions.
LETTER_INTENTS = frozenset({"public_service", "report_dispute"})
QUESTION_INTENTS = frozenset({"public_service", "report_dispute", "ask_legal"})

SALUTATIONS = ("尊敬的市长：您好！", "尊敬的领导您好，", "书记您好：", "领导好，", "您好！", "尊敬的领导：",
               "各位领导：你们好！", "尊敬的县长您好，", "区长您好：", "市长您好！")
SELVES = ("我是{place}{estate}的居民，", "本人家住{place}{estate}，", "我家在{place}{estate}，", "我是{place}的一名群众，", "")
PLACES = ("A3区", "B7区", "C2县", "K9县", "D5区", "E1区", "F8县", "H4区", "M2区", "L6县")
ESTATES = ("幸福里小区", "东风村", "建设路", "和平街道", "新城花园", "南湾社区", "")
DATES = ("{year}年{month}月以来，", "从{year}年{month}月{day}日起，", "今年{month}月份，", "最近一段时间，", "")
CLOSINGS = ("望有关部门尽快处理。", "恳请领导重视，帮忙解决，谢谢！", "希望尽快给予答复，为盼！", "请相关部门核实处理。",
            "万分感谢！", "盼复。", "希望领导百忙之中关注一下，谢谢。", "恳请有关部门依法处理。")
SUBJECTS = ("关于{head}的反映", "反映{head}", "求助：{head}", "投诉{head}", "{head}", "关于{head}的问题")
OPENERS = ("你好，我想问一下，", "您好，请问一下，", "你好，想咨询一下，", "您好，我想咨询个事，", "你好，麻烦问一下，",
           "律师您好，", "您好！")
THANKS = ("谢谢", "谢谢！", "谢谢您", "麻烦了", "")


def _head(text: str) -> str:
    """A few characters from the start of the request, cut at a clause, for a subject line."""
    for i, ch in enumerate(text):
        if ch in "，。！？,.!? " and i >= 4:
            return text[:i]
    return text[:12]


def letter(text: str, rng: random.Random) -> str:
    """The request as a letter: subject line, salutation, who and since when, the request, a demand."""
    self_intro = rng.choice(SELVES).format(place=rng.choice(PLACES), estate=rng.choice(ESTATES))
    when = rng.choice(DATES).format(year=rng.choice((2023, 2024, 2025)), month=rng.randint(1, 12), day=rng.randint(1, 28))
    body = text.rstrip("。！!？?") + "。"
    subject = rng.choice(SUBJECTS).format(head=_head(text))
    return f"{subject}\n{rng.choice(SALUTATIONS)}{self_intro}{when}{body}{rng.choice(CLOSINGS)}"


def question(text: str, rng: random.Random) -> str:
    """The request as a polite question: an opening and maybe a thank-you."""
    return f"{rng.choice(OPENERS)}{text}{rng.choice(THANKS)}"


def wrap_letters(examples: Iterable[Tuple[str, str, str]], rng: random.Random) -> List[Tuple[str, str, str]]:
    """For (text, intent, label) examples: one letter per letter-intent example, one polite
    question per question-intent example, with the label unchanged. Long examples (already
    letters) are left alone."""
    out: List[Tuple[str, str, str]] = []
    for text, intent, label in examples:
        if len(text) > 80:
            continue
        if intent in LETTER_INTENTS:
            out.append((letter(text, rng), intent, label))
        if intent in QUESTION_INTENTS:
            out.append((question(text, rng), intent, label))
    return out
