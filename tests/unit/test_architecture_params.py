"""Hyperparameter schemas: validated by the API side, which never imports torch."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from backend.core.specs.architectures import (
    ARCHITECTURES,
    UnknownArchitecture,
    ValidationError,
    validate_hyperparameters,
)


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_defaults_validate(architecture: str) -> None:
    full = validate_hyperparameters(architecture, {})
    assert full["batch_size"] >= 1 and full["learning_rate"] > 0


def test_defaults_of_the_new_architectures() -> None:
    assert validate_hyperparameters("lstm", {})["bidirectional"] is False
    assert validate_hyperparameters("bilstm", {})["bidirectional"] is True
    bow = validate_hyperparameters("bow_mlp", {})
    assert (bow["top_n"], bow["activation"], bow["loss"]) == (10_000, "relu", "cross_entropy")
    assert validate_hyperparameters("minilm", {})["finetune"] is False


@pytest.mark.parametrize(("architecture", "params", "field"), [
    ("bow_mlp", {"activation": "foo"}, "activation"),
    ("bow_mlp", {"loss": "hinge"}, "loss"),
    ("bow_mlp", {"units": -3}, "units"),
    ("bow_mlp", {"top_n": 1}, "top_n"),
    ("bow_mlp", {"hidden_layers": 99}, "hidden_layers"),
    ("lstm", {"hidden_size": -1}, "hidden_size"),
    ("lstm", {"layers": 0}, "layers"),
    ("lstm", {"dropout": 1.0}, "dropout"),
    ("lstm", {"bidirectional": "sideways"}, "bidirectional"),
    ("lstm", {"pretrained_vectors": ""}, "pretrained_vectors"),
    ("bilstm", {"hidden_size": 0}, "hidden_size"),
    ("minilm", {"max_tokens": 600}, "max_tokens"),
    ("minilm", {"finetune": "maybe"}, "finetune"),
    ("minilm", {"learning_rate": -1e-3}, "learning_rate"),
    ("cnn", {"hidden_size": 8}, "hidden_size"),  # unknown keys are refused, not ignored
])
def test_bad_values_name_the_field(architecture: str, params: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as e:
        validate_hyperparameters(architecture, params)
    assert field in {str(loc) for err in e.value.errors() for loc in err["loc"]}


def test_frozen_embeddings_need_vectors() -> None:
    with pytest.raises(ValidationError, match="needs pretrained_vectors or fitted_vectors"):
        validate_hyperparameters("lstm", {"freeze_embeddings": True, "fitted_vectors": False})
    assert validate_hyperparameters("lstm", {"freeze_embeddings": True})["fitted_vectors"] is True
    ok = validate_hyperparameters("lstm", {"freeze_embeddings": True,
                                           "pretrained_vectors": "/data/glove.txt"})
    assert ok["pretrained_vectors"] == "/data/glove.txt"


def test_unknown_architecture() -> None:
    with pytest.raises(UnknownArchitecture, match="bow_mlp"):
        validate_hyperparameters("gpt5", {})


def test_schemas_do_not_import_torch() -> None:
    code = ("import sys, backend.core.specs.architectures as a; a.validate_hyperparameters('minilm', {}); "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
