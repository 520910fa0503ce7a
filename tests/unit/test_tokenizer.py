"""The shared word-level tokenizer: OOV and truncation counts, line breaks, spans, train-only vocabulary."""

from __future__ import annotations

import pytest

from backend.core.text.tokenizer import OOV_ID, PAD_ID, TextTokenizer

TRAIN = ["Good movie, good acting!!", "A bad movie.<br /><br />Bad bad plot", "café and naïve fun"]
TEST_ONLY = "zzzunseen"


@pytest.fixture(scope="module")
def tok() -> TextTokenizer:
    return TextTokenizer.fit(TRAIN, vocab_size=1000, max_length=6)


def test_special_tokens_keep_their_ids(tok: TextTokenizer) -> None:
    assert tok.token_id("[PAD]") == PAD_ID == 0
    assert tok.token_id("[OOV]") == OOV_ID == 1
    assert tok.id_to_token(PAD_ID) == "[PAD]"


def test_oov_count(tok: TextTokenizer) -> None:
    e = tok.encode("good film, bad script")
    assert e.tokens == ["good", "film", ",", "bad", "script"]
    assert e.oov_count == 2
    assert [i == OOV_ID for i in e.ids] == [False, True, False, False, True]


def test_truncation_at_max_length(tok: TextTokenizer) -> None:
    short = tok.encode("good bad good bad good bad")  # exactly max_length
    assert (short.token_count, short.truncated, len(short.model_ids)) == (6, False, 6)
    long = tok.encode("good " * 10)
    assert long.token_count == 10 and long.truncated
    assert long.model_ids == long.ids[:6] and len(long.model_ids) == 6


def test_line_breaks_give_no_tokens(tok: TextTokenizer) -> None:
    e = tok.encode("good<br /><br />bad<br/>plot")
    assert e.tokens == ["good", "bad", "plot"]
    assert tok.encode("<br /><br />").token_count == 0
    assert "br" not in tok._tok.get_vocab()  # never learnt from the train texts either


def test_punctuation_is_split_from_words(tok: TextTokenizer) -> None:
    assert tok.encode("Good!!").tokens == ["good", "!!"]


@pytest.mark.parametrize("text", [
    "Good movie,<br /><br />CAFÉ naïve... fun!!",
    "<br />Ünïcode — “quotes” and émigré<br />",
    "plain ascii text, with commas; and: colons",
])
def test_spans_point_into_the_original_text(tok: TextTokenizer, text: str) -> None:
    e = tok.encode(text)
    assert len(e.spans) == len(e.tokens) == len(e.ids) > 0
    for token, (start, end) in zip(e.tokens, e.spans, strict=True):
        assert text[start:end].lower() == token
    assert all(a[1] <= b[0] for a, b in zip(e.spans, e.spans[1:], strict=False))  # in order, disjoint


def test_vocabulary_is_fitted_on_the_given_texts_only(tok: TextTokenizer) -> None:
    assert tok.token_id("movie") is not None
    assert tok.token_id(TEST_ONLY) is None
    e = tok.encode(f"good {TEST_ONLY}")
    assert e.ids[1] == OOV_ID and e.tokens[1] == TEST_ONLY


def test_vocab_size_keeps_the_most_frequent(tok: TextTokenizer) -> None:
    small = TextTokenizer.fit(TRAIN, vocab_size=4, max_length=10)
    assert small.vocab_size == 4  # [PAD], [OOV] and the two most frequent words
    assert small.token_id("bad") is not None  # 3 times; "good" and "movie" tie at 2 for the last slot
    assert small.encode("plot").oov_count == 1


def test_json_round_trip(tok: TextTokenizer) -> None:
    again = TextTokenizer.from_json(tok.to_json())
    assert again.max_length == tok.max_length and again.vocab_size == tok.vocab_size
    text = "good film<br />bad plot " * 3
    assert again.encode(text) == tok.encode(text)


def test_ids_only_batch_matches_full_encoding(tok: TextTokenizer) -> None:
    texts = ["good film<br />bad plot " * 3, "", "café zzzunseen!!", TRAIN[1]]
    assert tok.encode_ids_batch(texts) == [e.ids for e in tok.encode_batch(texts)]
