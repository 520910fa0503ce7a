"""GloVe-format word vectors mapped onto our vocabulary, and the LSTM that starts from them."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from backend.core.settings import get_settings
from backend.core.text.tokenizer import TextTokenizer
from tests.unit.arch_support import VOCAB, make_model
from worker.models.word_vectors import WordVectorsError, load_glove, vocabulary


def write_glove(path: Path, rows: dict[str, list[float]]) -> Path:
    lines = (f"{w} {' '.join(f'{x:.4f}' for x in v)}\n" for w, v in rows.items())
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def import_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """tmp_path is an import root: the only kind of folder a version's vectors may come from."""
    monkeypatch.setenv("LENSBOARD_IMPORT_ROOTS", json.dumps([str(tmp_path)]))
    monkeypatch.setenv("LENSBOARD_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def glove(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    rows = {w: rng.normal(size=8).round(4).tolist() for w in ("the", "movie", "good", "bad", "zebra")}
    rows["Great"] = [1.0] * 8  # cased file: matched case-insensitively
    rows["great"] = [2.0] * 8  # ... but an exact match wins whatever its order
    rows["Film"] = [3.0] * 8
    rows["FILM"] = [4.0] * 8  # the first cased variant (most frequent in GloVe's order) wins
    return write_glove(tmp_path / "glove.txt", rows)


def test_maps_vocabulary_and_reports_coverage(glove: Path) -> None:
    wv = load_glove(glove, VOCAB)
    assert wv.vectors.shape == (len(VOCAB), 8) and wv.dim == 8
    covered = {"the", "movie", "good", "bad", "great", "film"}
    assert {VOCAB[i] for i in np.flatnonzero(wv.found)} == covered
    assert wv.coverage == pytest.approx(len(covered) / (len(VOCAB) - 2))
    assert (wv.vectors[VOCAB.index("great")] == 2.0).all()
    assert (wv.vectors[VOCAB.index("film")] == 3.0).all()
    assert not wv.vectors[0].any() and not wv.found[:2].any()  # [PAD], [OOV]


def test_lstm_starts_from_the_vectors(glove: Path) -> None:
    wv = load_glove(glove, VOCAB)
    model = make_model("lstm", pretrained_vectors=str(glove))
    weight = model.embedding.weight.detach().numpy()
    np.testing.assert_allclose(weight[wv.found], wv.vectors[wv.found])
    assert model.vector_coverage == pytest.approx(wv.coverage)  # type: ignore[attr-defined]
    assert model.embedding.weight.requires_grad
    frozen = make_model("bilstm", pretrained_vectors=str(glove), freeze_embeddings=True)
    assert not frozen.embedding.weight.requires_grad
    assert "GloVe" in frozen.describe()["nodes"][1]["label"]


def test_vectors_follow_our_tokenizer(tmp_path: Path) -> None:
    texts = ["the movie was good", "the film was bad<br />the end"]
    tok = TextTokenizer.fit(texts, vocab_size=20, max_length=16)
    vocab = vocabulary(tok)
    assert vocab[:2] == ["[PAD]", "[OOV]"] and vocab.index("the") == tok.token_id("the")
    path = write_glove(tmp_path / "v.txt", {"the": [1.0, 0.0], "bad": [0.0, 1.0]})
    wv = load_glove(path, vocab)
    ids = tok.encode("The bad").ids
    torch.testing.assert_close(torch.from_numpy(wv.vectors[ids]), torch.tensor([[1.0, 0.0], [0.0, 1.0]]))


def test_the_worker_reads_vectors_only_from_an_import_root(tmp_path: Path,
                                                           tmp_path_factory: pytest.TempPathFactory) -> None:
    elsewhere = write_glove(tmp_path_factory.mktemp("elsewhere") / "glove.txt", {"the": [1.0] * 8})
    with pytest.raises(WordVectorsError, match="outside the allowed import roots"):
        make_model("lstm", pretrained_vectors=str(elsewhere), embedding_dim=8)
    # Inside a root, but the data folder's (its secret key, its database): refused all the same.
    secret = tmp_path / "data" / "secret_key"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text("the 1 2 3 4 5 6 7 8\n")
    with pytest.raises(WordVectorsError, match="outside the allowed import roots"):
        make_model("lstm", pretrained_vectors=str(secret), embedding_dim=8)
    # A link to a device whose lines never end (the worker would read until it runs out of memory).
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    with pytest.raises(WordVectorsError, match="outside the allowed import roots"):
        make_model("lstm", pretrained_vectors=str(tmp_path / "zero.txt"), embedding_dim=8)
    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(WordVectorsError, match="is not a file"):
        make_model("lstm", pretrained_vectors=str(tmp_path / "pipe.txt"), embedding_dim=8)
    with pytest.raises(WordVectorsError, match="does not exist"):
        make_model("lstm", pretrained_vectors=str(tmp_path / "nope.txt"), embedding_dim=8)


def test_dimension_mismatch_is_explained(glove: Path) -> None:
    with pytest.raises(WordVectorsError, match="embedding_dim=8"):
        make_model("lstm", pretrained_vectors=str(glove), embedding_dim=16)


@pytest.mark.parametrize(("content", "message"), [
    ("the 0.1 0.2\nmovie 0.3\n", r"glove.txt:2: 1 numbers, expected 2"),
    ("the 0.1 zero\n", "not a number"),
    ("", "no vectors"),
])
def test_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "glove.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(WordVectorsError, match=message):
        load_glove(path, VOCAB)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WordVectorsError, match="not found"):
        load_glove(tmp_path / "nope.txt", VOCAB)


def test_word2vec_header_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "w2v.txt"
    path.write_text("2 3\nthe 1 2 3\nmovie 4 5 6\n", encoding="utf-8")
    wv = load_glove(path, VOCAB)
    assert wv.dim == 3 and int(wv.found.sum()) == 2
