"""jieba tokenizer that drops whitespace tokens (Rasa issue #7910)."""
from __future__ import annotations

from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True
)
class HotlineJiebaTokenizer(JiebaTokenizer):
    """Rasa's JiebaTokenizer, minus the spaces and tabs jieba returns as tokens.

    Voice transcripts and phone-typed text are full of spaces ("老板 欠 我 工资");
    jieba yields each space as a token, and whitespace tokens break DIET's
    features and entity offsets.
    """

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        return [token for token in super().tokenize(message, attribute) if token.text.strip()]
