from __future__ import annotations

import pytest
import torch

from backend.core.specs.architectures import CnnParams
from worker.models.registry import build_model


@pytest.mark.parametrize("hp", [
    {},
    {"embedding_dim": 16, "num_filters": 8, "kernel_sizes": [2], "dense_units": 4},
    {"embedding_dim": 32, "num_filters": 5, "kernel_sizes": [1, 2, 3, 4, 7], "dense_units": 3,
     "dropout": 0.0},
])
@pytest.mark.parametrize(("batch", "time"), [(1, 1), (4, 9), (3, 50)])
def test_cnn_output_shapes(hp: dict[str, object], batch: int, time: int) -> None:
    torch.manual_seed(0)
    model = build_model("cnn", hp, vocab_size=100, num_classes=2)
    ids = torch.randint(0, 100, (batch, time))
    lengths = torch.randint(1, time + 1, (batch,))
    logits = model(ids, lengths)
    assert logits.shape == (batch, 2)
    assert torch.isfinite(logits).all()
    p = CnnParams(**hp)  # type: ignore[arg-type]
    g = model.describe()
    assert {n["id"] for n in g["nodes"]} >= {"embedding", "concat", "dense", "logits"}
    assert g["total_params"] == sum(x.numel() for x in model.parameters())
    assert len([n for n in g["nodes"] if n["kind"] == "conv1d"]) == len(p.kernel_sizes)


def test_padding_does_not_change_logits() -> None:
    torch.manual_seed(0)
    model = build_model("cnn", {"embedding_dim": 8, "num_filters": 4, "dense_units": 4}, 50, 2).eval()
    ids = torch.randint(2, 50, (1, 7))
    padded = torch.cat([ids, torch.zeros(1, 20, dtype=torch.long)], dim=1)
    lengths = torch.tensor([7])
    assert torch.allclose(model(ids, lengths), model(padded, lengths), atol=1e-6)


def test_three_classes() -> None:
    model = build_model("cnn", {"embedding_dim": 8, "num_filters": 4}, vocab_size=30, num_classes=3)
    assert model(torch.ones(2, 6, dtype=torch.long), torch.tensor([6, 2])).shape == (2, 3)
