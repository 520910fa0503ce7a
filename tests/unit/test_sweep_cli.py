"""The sweep CLI's parsing of search spaces and its results table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from backend.cli.client import CliError
from backend.cli.sweeps import build_space, parse_param, sweep_table


def test_param_forms() -> None:
    assert parse_param("learning_rate=1e-4:1e-2:log") == ("learning_rate", {"min": 1e-4, "max": 1e-2, "log": True})
    assert parse_param("num_filters=8:64") == ("num_filters", {"min": 8, "max": 64, "log": False})
    assert parse_param("dropout=0.1,0.3, 0.5") == ("dropout", [0.1, 0.3, 0.5])
    assert parse_param("optimizer=adam,sgd") == ("optimizer", ["adam", "sgd"])
    assert parse_param("kernel_sizes=[[3,4],[3,4,5]]") == ("kernel_sizes", [[3, 4], [3, 4, 5]])
    assert parse_param("bidirectional=true") == ("bidirectional", [True])


@pytest.mark.parametrize(("item", "message"), [
    ("dropout", "name=values"), ("=1,2", "name=values"), ("dropout=", "name=values"),
    ("lr=1:2:3", "min:max or min:max:log"), ("lr=a:b", "bounds must be numbers"),
    ("ks=[1,2", "not a JSON list"),
])
def test_bad_params_say_why(item: str, message: str) -> None:
    with pytest.raises(CliError, match=message):
        parse_param(item)


def test_space_file_and_params_combine(tmp_path: Path) -> None:
    f = tmp_path / "space.json"
    f.write_text(json.dumps({"dropout": [0.1, 0.2], "learning_rate": {"values": [0.01]}}))
    assert build_space(f, ["dropout=0.5", "epochs=1,2"]) == {
        "dropout": [0.5], "learning_rate": {"values": [0.01]}, "epochs": [1, 2]}
    with pytest.raises(CliError, match="give a search space"):
        build_space(None, [])
    f.write_text("[1, 2]")
    with pytest.raises(CliError, match="must hold a JSON object"):
        build_space(f, [])
    f.write_text("{oops")
    with pytest.raises(CliError, match="is not JSON"):
        build_space(f, [])
    with pytest.raises(CliError, match="cannot read"):
        build_space(tmp_path / "missing.json", [])


def test_table_stars_the_best_trial() -> None:
    def trial(i: int, acc: float | None, status: str = "trained") -> dict[str, object]:
        return {"trial_index": i, "version_id": 10 + i, "status": status, "epochs": 3, "epochs_done": 2,
                "stopped_early": i == 1, "params": {"learning_rate": 0.000123, "dropout": 0.5},
                "selected_epoch": 2 if acc is not None else None, "selected_by": "val_accuracy",
                "val_accuracy": acc, "val_loss": 0.5, "test_accuracy": acc, "test_loss": 0.5}
    sweep = {"id": 4, "name": "lr", "status": "running", "metric": "val_accuracy", "best_version_id": 11,
             "trials": [trial(1, 0.9), trial(0, 0.8), trial(2, None, "queued")]}
    console = Console(record=True, width=200)
    console.print(sweep_table(sweep))
    text = console.export_text()
    lines = text.splitlines()
    rows = [line for line in lines if "│" in line and ("trained" in line or "queued" in line)]
    assert len(rows) == 3
    assert "★" in rows[0] and "0.000123" in rows[0] and "2/3 (early stop)" in rows[0] and "0.9000" in rows[0]
    assert "★" not in rows[1] and "★" not in rows[2]
    assert [c.strip() for c in rows[2].split("│")][9] == "-"  # no val accuracy yet
    assert "2 (val)" in rows[0]  # the epoch every figure of the row is read at
    assert "Sweep 4 (lr): running, best by val_accuracy" in text and "test acc (held-out)" in text


def test_table_shows_a_bayesian_sweeps_pruned_trials_and_proposals() -> None:
    def trial(i: int, acc: float, pruned: bool, by: str) -> dict[str, object]:
        return {"trial_index": i, "version_id": 20 + i, "status": "pruned" if pruned else "trained", "epochs": 5,
                "epochs_done": 1 if pruned else 5, "stopped_early": False, "pruned": pruned,
                "pruned_at_epoch": 1 if pruned else None, "proposed_by": by, "params": {"learning_rate": 0.5},
                "selected_epoch": 1, "selected_by": "val_accuracy", "val_accuracy": acc, "val_loss": 0.5,
                "test_accuracy": acc, "test_loss": 0.5}
    sweep = {"id": 5, "name": "tpe", "status": "running", "strategy": "bayes", "budget": 8, "stopped": None,
             "metric": "val_accuracy", "best_version_id": 20,
             "trials": [trial(0, 0.9, False, "random"), trial(1, 0.5, True, "random"), trial(2, 0.8, False, "tpe")]}
    console = Console(record=True, width=220)
    console.print(sweep_table(sweep))
    text = console.export_text()
    rows = {int(line.split("│")[2]): line for line in text.splitlines()
            if "│" in line and line.split("│")[2].strip().isdigit()}
    assert "pruned" in rows[1] and "1/5 (pruned at epoch 1)" in rows[1]
    assert "5/5" in rows[0] and "pruned" not in rows[0] and "random" in rows[0] and "tpe" in rows[2]
    assert "proposed by" in text and "3 of 8 trials asked" in text
