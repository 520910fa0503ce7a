"""GET /api/architectures and /api/analysis-methods: the specs a form is built from, and a version made of
the described defaults is the version the API makes when given nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from backend.core.artifacts import get_store
from backend.core.specs.analysis_methods import DEFAULT_METHOD, METHODS
from backend.core.specs.architectures import ARCHITECTURES, DEFAULT_ARCHITECTURE
from tests.support.accounts import bearer, user_token
from tests.support.datasets import insert_synthetic_dataset


def test_architectures_are_described(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    r = client.get("/api/architectures")
    assert r.status_code == 200, r.text
    archs = {a["name"]: a for a in r.json()}
    assert list(archs) == list(ARCHITECTURES)
    assert [n for n, a in archs.items() if a["default"]] == [DEFAULT_ARCHITECTURE]
    assert archs["bilstm"]["title"] == "BiLSTM" and "LSTM" in archs["bilstm"]["description"]
    lstm = {p["name"]: p for p in archs["lstm"]["params"]}
    assert lstm["pretrained_vectors"] == {
        "name": "pretrained_vectors", "title": "pretrained vectors", "help": lstm["pretrained_vectors"]["help"],
        "type": "string", "nullable": True, "default": None, "minimum": None, "maximum": None,
        "exclusive_minimum": False, "exclusive_maximum": False, "choices": None, "min_length": 1,
        "max_length": 4096, "pattern": None, "advanced": False,
    }
    # 2 layers by default: the reference search's starting point.
    assert (lstm["layers"]["minimum"], lstm["layers"]["maximum"], lstm["layers"]["default"]) == (1, 8, 2)

    # The described defaults are what the API fills in.
    pid = client.post("/api/projects", json={"name": "p"}).json()["id"]
    with session_factory() as s:
        insert_synthetic_dataset(s, get_store(), pid, n=40, vocab_size=100, max_length=32)
    defaults = {p["name"]: p["default"] for p in archs[DEFAULT_ARCHITECTURE]["params"]}
    made = client.post(f"/api/projects/{pid}/versions", json={}).json()
    assert made["architecture"] == DEFAULT_ARCHITECTURE and made["hyperparameters"] == defaults


def test_analysis_methods_are_described(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    # Any signed-in user may read them: they belong to no project.
    someone = bearer(user_token(session_factory, "someone"))
    r = client.get("/api/analysis-methods", headers=someone)
    assert r.status_code == 200, r.text
    methods = {m["name"]: m for m in r.json()}
    assert list(methods) == list(METHODS)
    assert [n for n, m in methods.items() if m["default"]] == [DEFAULT_METHOD]
    assert methods["gradient_x_input"] == {"name": "gradient_x_input", "title": "Gradient × input",
                                           "default": False, "params": []}
    main = {n: [p["name"] for p in m["params"] if not p["advanced"]] for n, m in methods.items()}
    assert main["integrated_gradients"] == ["n_steps"] and main["counterfactual"] == ["replace_with"]
    assert client.get("/api/analysis-methods", headers={"Authorization": ""}).status_code == 401
