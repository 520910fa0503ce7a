"""Prepare a trained version directly in the database and the store, as the import and training
work would leave it: samples, token arrays, per-epoch results and checkpoints. Used by the map tests
until those pieces land in main (then they drive the real import and training jobs instead)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from backend.artifacts import ArtifactStore
from backend.db.models import Dataset, ModelVersion, Project, Sample, SampleResult
from backend.text.token_store import TokenArrays, ids_key, load_tokens, offsets_key, save_tokens
from backend.text.tokenizer import TextTokenizer
from tests.support.synthetic import SMALL_CNN, Synthetic, make_arrays, population, train
from worker.models.base import TextClassifier
from worker.models.registry import build_model
from worker.pipeline.population import SPLITS


@dataclass
class Review:
    key: str
    split: str
    label: int
    text: str
    score: int | None = None


@dataclass
class Prepared:
    project_id: int
    dataset_id: int
    version_id: int
    sample_ids: list[int]  # by sample index
    arrays: TokenArrays


def create_dataset(
    factory: sessionmaker[Session], reviews: list[Review], token_counts: list[int], truncated: list[bool]
) -> tuple[int, int, list[int]]:
    with factory() as s:
        project = Project(name=f"maps-{np.random.default_rng().integers(1 << 30)}", description="")
        s.add(project)
        s.flush()
        dataset = Dataset(
            project_id=project.id,
            name="imdb",
            status="ready",
            classes=["neg", "pos"],
            num_samples=len(reviews),
            config={},
            stats={},
        )
        s.add(dataset)
        s.flush()
        samples = [
            Sample(
                dataset_id=dataset.id,
                index=i,
                key=r.key,
                split=r.split,
                label=r.label,
                text=r.text,
                score=r.score,
                word_count=len(r.text.split()),
                token_count=token_counts[i],
                oov_count=0,
                truncated=truncated[i],
                meta={},
            )
            for i, r in enumerate(reviews)
        ]
        s.add_all(samples)
        s.commit()
        return project.id, dataset.id, [x.id for x in samples]


def save_arrays(store: ArtifactStore, dataset_id: int, arrays: TokenArrays) -> None:
    store.put_array(ids_key(dataset_id), arrays.ids)
    store.put_array(offsets_key(dataset_id), arrays.offsets)


def prepare_version(
    factory: sessionmaker[Session],
    store: ArtifactStore,
    reviews: list[Review],
    arrays: TokenArrays | None = None,
    tokenizer: TextTokenizer | None = None,
    epochs: int = 1,
    vocab_size: int | None = None,
    seed: int = 0,
    evaluate_epochs: bool = True,
    hyperparameters: dict[str, object] | None = None,
) -> Prepared:
    """Dataset + version trained `epochs` epochs (one checkpoint and one set of results per epoch).

    Either `arrays` (synthetic token ids) or `tokenizer` (fitted on the train texts) gives the tokens.
    """
    hp: dict[str, object] = dict(hyperparameters or SMALL_CNN)
    if tokenizer is not None:
        encoded = tokenizer.encode_batch([r.text for r in reviews])
        counts, truncated = [e.token_count for e in encoded], [e.truncated for e in encoded]
    else:
        assert arrays is not None
        counts, truncated = [int(x) for x in arrays.lengths], [False] * len(reviews)
    project_id, dataset_id, sample_ids = create_dataset(factory, reviews, counts, truncated)
    if tokenizer is not None:
        save_tokens(store, dataset_id, tokenizer, encoded)
        vocab = tokenizer.vocab_size
    else:
        assert arrays is not None and vocab_size is not None
        save_arrays(store, dataset_id, arrays)
        vocab = vocab_size
    arrays = load_tokens(store, dataset_id)
    labels = np.array([r.label for r in reviews], dtype=np.int64)
    splits = np.array([SPLITS.index(r.split) for r in reviews], dtype=np.uint8)
    with factory() as s:
        version = ModelVersion(
            project_id=project_id,
            dataset_id=dataset_id,
            name="cnn-test",
            architecture="cnn",
            hyperparameters=hp,
            seed=seed,
            status="trained",
            data_fixes={},
            graph={},
        )
        s.add(version)
        s.commit()
        version_id = version.id
    torch.manual_seed(seed)
    model = build_model("cnn", hp, vocab, 2)
    train_rows = np.flatnonzero(splits == 0)
    data = Synthetic(arrays=arrays, labels=labels, splits=splits)
    for epoch in range(1, epochs + 1):
        train_subset(model, data, train_rows, seed + epoch, float(hp.get("learning_rate", 0.01)))  # type: ignore[arg-type]
        path = store.path(f"versions/{version_id}/epoch_{epoch}/model.pt")
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), path)
        if evaluate_epochs:
            write_results(factory, version_id, epoch, sample_ids, population(model, data))
    with factory() as s:
        v = s.get(ModelVersion, version_id)
        assert v is not None
        v.epochs_done = epochs
        s.commit()
    return Prepared(project_id, dataset_id, version_id, sample_ids, arrays)


def train_subset(
    model: TextClassifier, data: Synthetic, rows: npt.NDArray[np.int64], seed: int, lr: float = 0.01
) -> None:
    sub_rows = [data.arrays.row(int(r)).astype(np.int64) for r in rows]
    sub = Synthetic(arrays=make_arrays(sub_rows), labels=data.labels[rows], splits=data.splits[rows])
    train(model, sub, epochs=1, seed=seed, lr=lr)


def write_results(
    factory: sessionmaker[Session], version_id: int, epoch: int, sample_ids: list[int], pop: object
) -> None:
    from worker.pipeline.population import Population

    assert isinstance(pop, Population)
    p_label = np.exp(-pop.loss)
    with factory() as s:
        s.execute(
            insert(SampleResult),
            [
                {
                    "version_id": version_id,
                    "epoch": epoch,
                    "sample_id": sid,
                    "loss": float(pop.loss[i]),
                    "p_positive": float(pop.p_positive[i]),
                    "p_label": float(p_label[i]),
                    "prediction": int(pop.prediction[i]),
                }
                for i, sid in enumerate(sample_ids)
            ],
        )
        s.commit()


def synthetic_reviews(data: Synthetic) -> list[Review]:
    """Texts that spell the token ids, so text-level duplicate checks see what the tokens say."""
    out = []
    for i in range(len(data.labels)):
        split = SPLITS[int(data.splits[i])]
        words = " ".join(f"w{t}" for t in data.arrays.row(i))
        out.append(
            Review(
                key=f"{split}/{i}",
                split=split,
                label=int(data.labels[i]),
                text=words,
                score=8 if data.labels[i] else 2,
            )
        )
    return out
