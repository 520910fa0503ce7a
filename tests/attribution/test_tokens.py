from __future__ import annotations

import itertools

from backend.core.text.token_view import token_view
from tests.support.tiny_models import KeywordModel, tiny_tokenizer
from worker.attribution.analyze import analyze_text

CLASSES = ["neg", "pos"]


def test_spans_point_into_the_original_text() -> None:
    tok = tiny_tokenizer(max_length=64)
    text = ("Amélie — a naïve film!!<br /><br />The ACTING was fun... “Excellent”,<br/>ça va? 10/10 😀 "
            "the end")
    enc = tok.encode(text)
    rows = token_view(text, enc)
    assert rows, "no tokens"
    for row in rows:
        assert text[row["start"]:row["end"]] == row["text"]
        assert "<br" not in row["text"] and row["text"].strip() == row["text"] and row["text"]
    words = [r["text"] for r in rows]
    assert words[:6] == ["Amélie", "—", "a", "naïve", "film", "!!"]
    assert "ACTING" in words and "Excellent" in words and "😀" in words
    # Spans run left to right and never overlap.
    assert all(a["end"] <= b["start"] for a, b in itertools.pairwise(rows))


def test_oov_and_truncated_tokens_are_flagged() -> None:
    tok = tiny_tokenizer(max_length=8)
    model = KeywordModel(tok.vocab_size, tok.token_id("excellent") or -1)
    text = "the zyzzyva movie was excellent and the qwertyuiop acting was fun at night"
    res = analyze_text(model, tok, text, "integrated_gradients", {}, CLASSES)
    assert res.visible_count == 8
    assert res.token_count == 13 and len(res.tokens) == 13
    oov = [t.text for t in res.tokens if t.is_oov]
    assert oov == ["zyzzyva", "qwertyuiop"]
    for t in res.tokens:
        assert t.beyond_max_length == (t.i >= 8)
        assert (t.attribution is None) == t.beyond_max_length
    # A word the model never saw can't push the prediction: "fun" lies beyond max_length here.
    assert res.tokens[-3].text == "fun" and res.tokens[-3].attribution is None
