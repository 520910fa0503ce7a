from __future__ import annotations

import pytest

from backend.cli.client import CliError
from backend.cli.jobs import describe
from backend.cli.local import check_bind, is_loopback
from backend.cli.params import parse_assignments


def test_set_values_are_json_when_they_parse() -> None:
    parsed = parse_assignments(["kernel_sizes=[3,4,5]", "dropout=0.5", "num_filters=100", "optimizer=adam",
                                "lowercase=true", "note=a=b"])
    assert parsed == {"kernel_sizes": [3, 4, 5], "dropout": 0.5, "num_filters": 100, "optimizer": "adam",
                      "lowercase": True, "note": "a=b"}


@pytest.mark.parametrize("bad", ["dropout", "=3", ""])
def test_set_needs_key_and_value(bad: str) -> None:
    with pytest.raises(CliError, match="key=value"):
        parse_assignments([bad])


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)
    check_bind(host, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "lensboard.example"])
def test_other_hosts_need_a_secret(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(CliError, match="LENSBOARD_SECRET_KEY"):
        check_bind(host, None)
    check_bind(host, "s3cret")


def test_progress_text_shows_epoch_batch_and_loss() -> None:
    job = {"state": "PROGRESS", "message": "epoch 2/5, batch 40/300", "detail": {
        "epoch": 2, "epochs": 5, "batch": 40, "batches": 300, "loss": 0.41234}}
    assert describe(job) == "progress · epoch 2/5 · batch 40/300 · loss 0.4123"
    evaluating = {"state": "PROGRESS", "message": "x", "detail": {"epoch": 1, "stage": "evaluate"}}
    assert describe(evaluating) == "progress · epoch 1 · evaluate"
    assert describe({"state": "PROGRESS", "message": "reading reviews", "detail": {}}) == "progress · reading reviews"
    assert describe({"state": "PENDING", "message": "queued", "detail": {}}) == "pending"
