"""jieba with the domain dictionary: legal terms stay whole, and no whitespace token reaches the entity CRF or the rules."""
from __future__ import annotations

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.tokenizer import HotlineJiebaTokenizer
from hotline.config import PROJECT_ROOT


@pytest.fixture(scope="module")
def tokenizer():
    config = {**HotlineJiebaTokenizer.get_default_config(), "dictionary_path": str(PROJECT_ROOT / "nlu_data" / "jieba")}
    return HotlineJiebaTokenizer.create(config, None, None, None)


def tokens(tokenizer, text):
    message = Message(data={TEXT: text})
    tokenizer.process([message])
    return [t.text for t in message.get(TOKENS_NAMES[TEXT])]


@pytest.mark.parametrize(
    "text, word",
    [
        ("俺家宅基地被邻居占了", "宅基地"),
        ("我想申请劳动仲裁", "劳动仲裁"),
        ("前夫三个月没给抚养费", "抚养费"),
        ("物业费一年涨了三百", "物业费"),
        ("工伤认定要多久", "工伤认定"),
        ("彩礼要不要退", "彩礼"),
        ("拆迁安置房一直没分", "拆迁安置"),
        ("他打了欠条又不认", "欠条"),
        ("调解协议签了他不履行", "调解协议"),
    ],
)
def test_domain_words_stay_whole(tokenizer, text, word):
    assert word in tokens(tokenizer, text)


@pytest.mark.parametrize("text", ["老板 欠 我 工资  三个月", "邻居\t漏水\u3000好几天", " 你好 "])
def test_no_whitespace_tokens(tokenizer, text):
    found = tokens(tokenizer, text)
    assert found and all(t.strip() for t in found), found
    # Offsets still point into the original text, so entities line up with it.
    message = Message(data={TEXT: text})
    tokenizer.process([message])
    for token in message.get(TOKENS_NAMES[TEXT]):
        assert text[token.start:token.end] == token.text
