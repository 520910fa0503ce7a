"""A checkpoint written before a field existed rebuilds the network it holds, not the field's new default."""

from __future__ import annotations

import torch

from backend.core.specs.architectures import validate_hyperparameters
from tests.unit.arch_support import TINY, VOCAB, batch, make_model
from worker.models.lstm import TextLSTM
from worker.models.minilm import MiniLmClassifier
from worker.pipeline.checkpoint import model_from_checkpoint


def test_an_lstm_checkpoint_from_before_pooling_loads_as_last_state() -> None:
    assert validate_hyperparameters("lstm", {})["pooling"] != "last"  # else this test proves nothing
    trained = make_model("lstm", pooling="last").eval()
    stored = validate_hyperparameters("lstm", {**TINY["lstm"], "pooling": "last"})
    del stored["pooling"]  # what a full dump looked like before the field
    data = {"architecture": "lstm", "hyperparameters": stored, "vocab_size": len(VOCAB), "num_classes": 2,
            "model": trained.state_dict()}
    restored = model_from_checkpoint(data).eval()
    assert isinstance(restored, TextLSTM) and restored.params.pooling == "last"
    ids, lengths = batch([[5, 6, 7], [8, 9]])
    with torch.no_grad():
        torch.testing.assert_close(restored(ids, lengths), trained(ids, lengths), atol=0, rtol=0)


def test_an_lstm_from_before_fitted_vectors_is_rebuilt_as_it_was_made() -> None:
    """A version made before `fitted_vectors` started from random vectors; its checkpoints say so."""
    assert validate_hyperparameters("lstm", {})["fitted_vectors"] is True  # else this test proves nothing
    stored = validate_hyperparameters("lstm", {**TINY["lstm"], "fitted_vectors": False})
    del stored["fitted_vectors"]
    trained = make_model("lstm", fitted_vectors=False).eval()
    data = {"architecture": "lstm", "hyperparameters": stored, "vocab_size": len(VOCAB), "num_classes": 2,
            "model": trained.state_dict()}
    restored = model_from_checkpoint(data)
    assert isinstance(restored, TextLSTM) and restored.params.fitted_vectors is False
    assert "initialised" not in restored.describe()["nodes"][1]["label"]


def test_a_minilm_checkpoint_from_before_pooling_loads_its_sentence_vector_head() -> None:
    assert validate_hyperparameters("minilm", {})["pooling"] != "last"  # else this test proves nothing
    trained = make_model("minilm", pooling="last").eval()
    stored = validate_hyperparameters("minilm", {**TINY.get("minilm", {}), "pooling": "last"})
    del stored["pooling"]
    data = {"architecture": "minilm", "hyperparameters": stored, "vocab_size": len(VOCAB), "num_classes": 2,
            "model": trained.state_dict()}
    restored = model_from_checkpoint(data).eval()  # the head's width would not fit under `layers`
    assert isinstance(restored, MiniLmClassifier) and restored.params.pooling == "last"
    ids, lengths = batch([[5, 6, 7], [8, 9]])
    with torch.no_grad():
        torch.testing.assert_close(restored(ids, lengths), trained(ids, lengths), atol=1e-6, rtol=1e-5)
