"""The CPU path of the (Bi)LSTM (padded batches, each direction on oneDNN's kernel) must compute
exactly what packed sequences compute: the same per-layer outputs on real tokens, the same final
states, logits and gradients, whatever the padding."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from tests.unit.arch_support import make_model
from worker.models.base import length_mask
from worker.models.lstm import TextLSTM


def run(model: TextLSTM, embedded: Tensor, lengths: Tensor,
        packed: bool) -> tuple[Tensor, list[Tensor], dict[str, Tensor]]:
    """Logits, every tap's output and the gradients of a fixed function of both."""
    taps: list[Tensor] = []
    handles = [tap.register_forward_hook(lambda _m, _i, out: taps.append(out)) for tap in model.taps]
    embedded = embedded.detach().clone().requires_grad_(True)
    try:
        last, outputs = (model._packed_layers(embedded, lengths) if packed
                         else model._padded_layers(embedded, lengths))
        logits = model.out(model.dense_act(model.dense(model._pool(last, outputs, lengths))))
    finally:
        for h in handles:
            h.remove()
    real = length_mask(lengths, embedded.shape[1])[:, :, None]
    objective = logits.pow(2).sum() + sum((t * real).pow(2).sum() * 0.1 for t in taps)
    model.zero_grad()
    objective.backward()  # type: ignore[no-untyped-call]
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    assert embedded.grad is not None
    grads["input"] = embedded.grad.clone()
    return logits.detach(), [t.detach() * real for t in taps], grads


@pytest.mark.parametrize(("bidirectional", "layers", "pooling"),
                         [(False, 1, "last"), (True, 1, "last"), (True, 2, "last"), (False, 3, "last"),
                          (False, 2, "max"), (True, 2, "last_max")])
def test_padded_path_equals_packed_sequences(bidirectional: bool, layers: int, pooling: str) -> None:
    model = make_model("bilstm" if bidirectional else "lstm", layers=layers, dropout=0.0, pooling=pooling)
    assert isinstance(model, TextLSTM)
    model.eval()
    torch.manual_seed(1)
    lengths = torch.tensor([9, 3, 1, 6, 9, 2])
    embedded = torch.randn(len(lengths), 9, model.params.embedding_dim)
    embedded[~length_mask(lengths, 9)] = 5.0  # loud padding: any leak into a real state shows
    packed_logits, packed_taps, packed_grads = run(model, embedded, lengths, packed=True)
    padded_logits, padded_taps, padded_grads = run(model, embedded, lengths, packed=False)
    torch.testing.assert_close(padded_logits, packed_logits, atol=1e-5, rtol=1e-4)
    for ours, reference in zip(padded_taps, packed_taps, strict=True):
        torch.testing.assert_close(ours, reference, atol=1e-5, rtol=1e-4)
    assert padded_grads.keys() == packed_grads.keys()
    for name, grad in packed_grads.items():
        torch.testing.assert_close(padded_grads[name], grad, atol=1e-5, rtol=1e-4, msg=name)
    assert not packed_grads["input"][~length_mask(lengths, 9)].any()
    assert not padded_grads["input"][~length_mask(lengths, 9)].any()


def test_cpu_forward_takes_the_padded_path() -> None:
    model = make_model("bilstm", dropout=0.0).eval()
    assert isinstance(model, TextLSTM)
    lengths = torch.tensor([4, 2])
    ids = torch.tensor([[5, 6, 7, 8], [6, 9, 0, 0]])
    with torch.no_grad():
        pooled = model._pool(*model._padded_layers(model.embedding(ids), lengths), lengths)
        expected = model.out(model.dense_act(model.dense(pooled)))
        torch.testing.assert_close(model(ids, lengths), expected, atol=0, rtol=0)


@pytest.mark.parametrize("architecture", ["lstm", "bilstm"])
@pytest.mark.parametrize("pooling", ["max", "last_max"])
def test_pooled_head_reads_real_words_only(architecture: str, pooling: str) -> None:
    """A review's logits are the same alone and beside a longer one (the pool never sees the padding's
    zeros, which would win the maximum wherever every real output is negative), and the maximum reads
    the whole review: changing its first word moves the pooled vector."""
    model = make_model(architecture, dropout=0.0, pooling=pooling).eval()
    assert isinstance(model, TextLSTM)
    short, long = [5, 6, 7], [8, 9, 5, 6, 7, 8, 9, 5, 6]
    with torch.no_grad():
        alone = model(torch.tensor([short]), torch.tensor([3]))
        beside = model(torch.tensor([short + [0] * 6, long]), torch.tensor([3, 9]))[:1]
        torch.testing.assert_close(beside, alone, atol=1e-6, rtol=1e-5)
        last, outputs = model._padded_layers(model.embedding(torch.tensor([short + [0] * 6])), torch.tensor([3]))
        assert (outputs[0, :3] < 0).all(dim=0).any(), "some unit is negative on every word: the test has teeth"
        pooled = model._pool(last, outputs, torch.tensor([3]))
        assert pooled.shape == (1, model.pooled_width)
        torch.testing.assert_close(pooled[0, -model.width:], outputs[0, :3].amax(dim=0))
        changed = model(torch.tensor([[9, 6, 7]]), torch.tensor([3]))
        assert not torch.allclose(changed, alone)
