"""MiniLM specifics: parity with sentence-transformers, the word table, the frozen-encoder cache,
fine-tuning and checkpoint round trips. The real bundled model, on CPU, a few short sentences."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from tests.unit.arch_support import VOCAB, batch, make_model
from worker.models.minilm import ENCODER_CACHE, TAPS, MiniLmClassifier, model_dir, wordpiece_tokenizer
from worker.models.registry import build_model
from worker.pipeline.latent import LayerPooling

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def frozen() -> MiniLmClassifier:
    model = make_model("minilm")
    assert isinstance(model, MiniLmClassifier)
    return model.eval()


def ids_of(sentence: str) -> list[int]:
    return [VOCAB.index(w) for w in sentence.split()]


def test_matches_sentence_transformers_on_single_piece_words(frozen: MiniLmClassifier) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    sentences = ["the movie was good !", "this film is awful , boring and long ."]
    reference = SentenceTransformer(str(model_dir()), device="cpu").encode(sentences, convert_to_tensor=True)
    ids, lengths = batch([ids_of(s) for s in sentences])
    with torch.no_grad():
        ours = torch.nn.functional.normalize(frozen.encode(frozen.embedding(ids), lengths), dim=-1)
    torch.testing.assert_close(ours, reference.cpu(), atol=2e-4, rtol=1e-3)


def test_word_rows_are_wordpiece_means(frozen: MiniLmClassifier) -> None:
    tok = wordpiece_tokenizer()
    from worker.models.minilm import load_encoder

    pieces = load_encoder().embeddings.word_embeddings.weight.detach()  # type: ignore[union-attr, operator]
    split = tok.encode("unbelievably", add_special_tokens=False).ids
    assert len(split) > 1
    torch.testing.assert_close(frozen.embedding.weight[VOCAB.index("unbelievably")], pieces[split].mean(0))
    torch.testing.assert_close(frozen.embedding.weight[1], pieces[tok.token_to_id("[UNK]")])  # [OOV]
    assert not frozen.embedding.weight[0].any()  # [PAD]


def test_frozen_mode_trains_only_the_head(frozen: MiniLmClassifier) -> None:
    trainable = {n for n, p in frozen.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith(("head.", "out.")) for n in trainable)
    frozen.train()
    try:
        assert not frozen.encoder.training and frozen.out.training
    finally:
        frozen.eval()


def test_cache_serves_repeat_passes_with_identical_logits(frozen: MiniLmClassifier) -> None:
    ENCODER_CACHE.clear()
    ids, lengths = batch([ids_of("the movie was good !"), ids_of("it was bad"), ids_of("great fun")])
    with torch.no_grad():
        first = frozen(ids, lengths)
        assert (ENCODER_CACHE.hits, ENCODER_CACHE.misses) == (0, 3)
        again = frozen(ids[[2, 0]], lengths[[2, 0]])  # other batch, other padding: still hits
        assert (ENCODER_CACHE.hits, ENCODER_CACHE.misses) == (2, 3)
        handle = frozen.embedding.register_forward_hook(lambda *_: None)
        try:
            uncached = frozen(ids, lengths)  # hooks (Captum, the latent map) bypass the cache
        finally:
            handle.remove()
        assert ENCODER_CACHE.hits == 2
    torch.testing.assert_close(first, uncached, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(again, first[[2, 0]], atol=1e-5, rtol=1e-4)


def test_latent_map_runs_from_the_cache(frozen: MiniLmClassifier, monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-epoch evaluation pools every tap with hooks; in frozen mode it must not rerun the
    encoder once a review is cached, and the cached vectors must equal a full pass's."""
    monkeypatch.setattr("worker.models.minilm.ENCODE_CHUNK", 2)  # misses are encoded in chunks: 2 + 1
    ENCODER_CACHE.clear()
    sentences = ["the movie was good !", "it was bad", "great fun"]
    ids, lengths = batch([ids_of(s) for s in sentences])

    def pooled_pass() -> tuple[dict[str, np.ndarray], torch.Tensor]:
        with LayerPooling(frozen, len(sentences)) as pooling, torch.no_grad():
            pooling.before(lengths)
            logits = frozen(ids, lengths)
            pooling.after(np.arange(len(sentences)))
        return pooling.out, logits

    first, first_logits = pooled_pass()
    assert (ENCODER_CACHE.hits, ENCODER_CACHE.misses) == (0, 3)
    again, again_logits = pooled_pass()
    assert (ENCODER_CACHE.hits, ENCODER_CACHE.misses) == (3, 3)
    handle = frozen.embedding.register_forward_hook(lambda *_: None)  # forces the full encoder pass
    try:
        full, full_logits = pooled_pass()
    finally:
        handle.remove()
    assert (ENCODER_CACHE.hits, ENCODER_CACHE.misses) == (3, 3)
    assert list(first) == [*TAPS, "head"]
    for name in first:
        np.testing.assert_array_equal(again[name], first[name])
        np.testing.assert_allclose(full[name], first[name], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(again_logits, first_logits)
    torch.testing.assert_close(full_logits, first_logits, atol=1e-5, rtol=1e-4)
    # The embedding tap is the mean of the review's word vectors; the last tap is the sentence vector.
    words = frozen.embedding.weight[ids[1, : int(lengths[1])]].mean(0)
    np.testing.assert_allclose(first["embedding"][1], words.detach().numpy(), atol=1e-6)
    with torch.no_grad():
        sentence = frozen.encode(frozen.embedding(ids), lengths)
    np.testing.assert_allclose(first["layer6"], sentence.numpy(), atol=1e-5, rtol=1e-4)


def test_layers_pooling_reads_every_tap_and_last_only_the_sentence_vector() -> None:
    layers = torch.randn(2, len(TAPS), 384, generator=torch.Generator().manual_seed(0))
    lower = layers.clone()
    lower[:, :-1] += 1.0  # every tap but the sentence vector
    for pooling, taps_read in (("layers", len(TAPS)), ("last", 1)):
        model = make_model("minilm", pooling=pooling).eval()
        assert isinstance(model, MiniLmClassifier)
        assert model.head[0].in_features == 384 * taps_read  # type: ignore[index]
        with torch.no_grad():
            moved = not torch.allclose(model.classify(layers), model.classify(lower))
        assert moved == (pooling == "layers")


def test_words_past_max_tokens_are_ignored() -> None:
    model = make_model("minilm", max_tokens=4).eval()
    short, longer = ids_of("the movie was good"), ids_of("the movie was good and the plot was bad")
    with torch.no_grad():
        torch.testing.assert_close(model(*batch([short])), model(*batch([longer])), atol=1e-5, rtol=1e-4)


def test_finetune_updates_the_encoder() -> None:
    model = make_model("minilm", finetune=True, dropout=0.0)
    assert all(p.requires_grad for p in model.encoder.encoder.parameters())  # type: ignore[union-attr]
    layer = model.encoder.encoder.layer[0].attention.self.query.weight  # type: ignore[union-attr, index]
    word = model.embedding.weight[VOCAB.index("good")]
    before_layer, before_word = layer.detach().clone(), word.detach().clone()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    ids, lengths = batch([ids_of("the movie was good"), ids_of("it was bad")])
    model.loss_fn(model(ids, lengths), torch.tensor([1, 0])).backward()
    opt.step()
    assert not torch.equal(layer.detach(), before_layer)
    assert not torch.equal(model.embedding.weight[VOCAB.index("good")].detach(), before_word)
    assert model.encoder.training


def test_checkpoint_round_trip_without_vocab(frozen: MiniLmClassifier) -> None:
    state = frozen.state_dict()
    # BERT's own WordPiece table is dropped from checkpoints.
    assert not any(v.shape[0] == 30522 for v in state.values() if v.dim() > 0)
    restored = build_model("minilm", frozen.params.model_dump(), len(VOCAB), 2)
    restored.load_state_dict(state)
    restored.eval()
    ids, lengths = batch([ids_of("the movie was good !"), ids_of("boring")])
    with torch.no_grad():
        torch.testing.assert_close(restored(ids, lengths), frozen(ids, lengths))


def test_attribution_flags_the_words_past_what_the_encoder_reads() -> None:
    """The tokenizer keeps 32 tokens, MiniLM reads 16: tokens 16.. are flagged unseen with no score, never
    shown as exactly 0, and the faithfulness figures are computed on the 16 it read."""
    from backend.core.text.tokenizer import TextTokenizer
    from worker.attribution.analyze import analyze_text
    from worker.models.word_vectors import vocabulary

    corpus = ["good movie", "bad film plot actors and music", "great cast boring ending"] * 3
    tok = TextTokenizer.fit(corpus, vocab_size=100, max_length=32)
    torch.manual_seed(0)
    model = build_model("minilm", {"max_tokens": 16, "head_hidden": 8}, tok.vocab_size, 2,
                        vocab=vocabulary(tok)).eval()
    text = " ".join(["good movie with great cast and a boring ending"] * 3)  # 27 tokens
    res = analyze_text(model, tok, text, "gradient_x_input", {}, ["neg", "pos"])
    assert res.token_count == 27 and res.visible_count == 16 and res.max_length == 16
    assert all(t.beyond_max_length == (t.i >= 16) for t in res.tokens)
    assert all((t.attribution is None) == t.beyond_max_length for t in res.tokens)
