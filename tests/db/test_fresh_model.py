"""What a version's model starts from (worker/pipeline/fresh_model.py): an LSTM's word vectors fitted on
its dataset's train split, once per dataset and width; a GloVe file instead when one is named; random when
asked for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.artifacts.keys import fitted_vectors_key
from backend.core.db.models import Dataset, ModelVersion
from backend.core.specs.architectures import validate_hyperparameters
from backend.core.vocabulary import Split
from tests.support.datasets import create_project, insert_synthetic_dataset
from worker.models.fitted_vectors import fit_word_vectors
from worker.models.lstm import TextLSTM
from worker.pipeline.data import load_training_data
from worker.pipeline.fresh_model import fresh_model

SMALL = {"embedding_dim": 16, "hidden_size": 8, "layers": 1, "dense_units": 8}


def _version(s: Session, dataset: Dataset, architecture: str, **hp: Any) -> ModelVersion:
    version = ModelVersion(project_id=dataset.project_id, dataset_id=dataset.id, name=architecture,
                           architecture=architecture, hyperparameters=validate_hyperparameters(architecture, hp),
                           seed=0, status="created", data_fixes={}, graph={})
    s.add(version)
    s.commit()
    return version


def _embedding(factory: sessionmaker[Session], version: ModelVersion) -> np.ndarray:
    store = get_store()
    with factory() as s:
        v = s.get(ModelVersion, version.id)
        assert v is not None
        data = load_training_data(s, v, store)
        model = fresh_model(v, data, store)
    assert isinstance(model, TextLSTM)
    return model.embedding.weight.detach().numpy().copy()


def test_an_lstm_starts_from_vectors_of_its_train_split(session_factory: sessionmaker[Session],
                                                        tmp_path: Path) -> None:
    store = get_store()
    with session_factory() as s:
        project = create_project(s)
        dataset = insert_synthetic_dataset(s, store, project.id, n=120, vocab_size=200, max_length=48)
        lstm = _version(s, dataset, "lstm", **SMALL)
        bilstm = _version(s, dataset, "bilstm", **SMALL)
        wider = _version(s, dataset, "lstm", **{**SMALL, "embedding_dim": 12})
        random = _version(s, dataset, "lstm", **SMALL, fitted_vectors=False)
        data = load_training_data(s, lstm, store)
    assert not store.exists(fitted_vectors_key(dataset.id, 16))
    first = _embedding(session_factory, lstm)
    assert store.exists(fitted_vectors_key(dataset.id, 16))
    # Fitted on the train split alone: val and test text never shapes a model chosen on val.
    expected = fit_word_vectors(data.arrays, data.rows(Split.TRAIN), data.vocab_size, 16)
    fitted = np.abs(expected).sum(axis=1) > 0
    assert fitted[2:].mean() > 0.5
    np.testing.assert_array_equal(first[fitted], expected[fitted])
    assert (first[0] == 0).all()  # [PAD] stays zero; a word the fit left at zero keeps a random row
    assert all(np.abs(first[i]).sum() > 0 for i in np.flatnonzero(~fitted)[1:])
    everything = fit_word_vectors(data.arrays, np.arange(len(data.arrays)), data.vocab_size, 16)
    assert not np.array_equal(first, everything)
    np.testing.assert_array_equal(_embedding(session_factory, bilstm)[fitted], first[fitted])  # one per dataset
    assert _embedding(session_factory, wider).shape[1] == 12 and store.exists(fitted_vectors_key(dataset.id, 12))
    unfitted = _embedding(session_factory, random)
    assert not np.array_equal(unfitted, first)
    assert abs(float(unfitted[2:].std()) - 1.0) < 0.1  # nn.Embedding's own N(0, 1)

    # A GloVe file wins over fitted vectors.
    word = data.vocab[5]
    glove = tmp_path / "glove.txt"
    glove.write_text(f"{word} {' '.join(['0.25'] * 16)}\n")
    with session_factory() as s:
        named = _version(s, s.get(Dataset, dataset.id), "lstm", **SMALL, pretrained_vectors=str(glove))  # type: ignore[arg-type]
    from_file = _embedding(session_factory, named)
    assert (from_file[5] == 0.25).all() and not np.array_equal(from_file[6], first[6])
