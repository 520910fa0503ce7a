"""The n-gram model's fast paths change no result: RowAdagrad trains to the very bits torch's Adagrad does,
the fused evaluation gives what forward() and the layer hooks give (up to float rounding), and the thread
cap applies to its passes only, then goes away."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from backend.core.settings import get_settings
from backend.core.text.token_store import TokenArrays
from tests.unit.arch_support import make_model, toy_task
from worker.pipeline.device import model_threads
from worker.pipeline.evaluate import evaluate
from worker.pipeline.latent import extract_pooled
from worker.pipeline.row_adagrad import RowAdagrad
from worker.pipeline.train import make_optimizer


def _arrays(ids: torch.Tensor, lengths: torch.Tensor) -> TokenArrays:
    rows = [ids[i, : int(n)].numpy().astype(np.int32) for i, n in enumerate(lengths)]
    offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    return TokenArrays(ids=np.concatenate(rows), offsets=offsets)


def test_row_adagrad_updates_exactly_as_torch_adagrad() -> None:
    ids, lengths, labels = toy_task(96)
    ours = make_model("ngram", dropout=0.0)
    theirs = copy.deepcopy(ours)
    initial = copy.deepcopy(ours.state_dict())
    opt_ours = make_optimizer(ours, "adagrad", 0.1, 0.0)
    opt_theirs = torch.optim.Adagrad(theirs.parameters(), lr=0.1)
    assert isinstance(opt_ours, RowAdagrad)
    for start in range(0, 96, 16):  # repeated words within and across batches: rows hit several times
        b = slice(start, start + 16)
        for model, opt in ((ours, opt_ours), (theirs, opt_theirs)):
            opt.zero_grad(set_to_none=True)
            model.loss_fn(model(ids[b], lengths[b]), labels[b]).backward()
            assert model.embedding.weight.grad is not None and model.embedding.weight.grad.is_sparse
            opt.step()
    for (name, mine), other in zip(ours.named_parameters(), theirs.parameters(), strict=True):
        assert torch.equal(mine, other), name
        assert not torch.equal(mine, initial[name]), f"{name} never moved: the comparison would prove nothing"
    # The same state, in torch's format: a checkpoint resumes under either class.
    state, other_state = opt_ours.state_dict()["state"], opt_theirs.state_dict()["state"]
    assert state.keys() == other_state.keys()
    for key in state:
        assert torch.equal(state[key]["sum"], other_state[key]["sum"])
        assert torch.equal(state[key]["step"], other_state[key]["step"])
    # The sparse gradients are still there after the step, as torch leaves them.
    assert ours.embedding.weight.grad is not None


def test_row_adagrad_refuses_weight_decay_on_sparse_gradients() -> None:
    ids, lengths, labels = toy_task(8)
    model = make_model("ngram")
    opt = RowAdagrad(model.parameters(), lr=0.1, weight_decay=0.01)
    model.loss_fn(model(ids, lengths), labels).backward()
    with pytest.raises(RuntimeError, match="weight_decay"):
        opt.step()


@pytest.mark.parametrize("buckets", [50, 0])
def test_fused_evaluation_matches_forward_and_hooks(buckets: int) -> None:
    ids, lengths, labels = toy_task(70, seed=3)
    model = make_model("ngram", bigram_buckets=buckets)
    # Trained a little, so that no vector is at its initial value.
    opt = make_optimizer(model, "adagrad", 0.5, 0.0)
    for _ in range(3):
        opt.zero_grad()
        model.loss_fn(model(ids, lengths), labels).backward()
        opt.step()
    arrays, rows = _arrays(ids, lengths), np.arange(70)
    fused = evaluate(model, arrays, rows, labels.numpy(), torch.device("cpu"), 16, pool_layers=True)
    fused_pooled = extract_pooled(model, arrays, rows, batch_size=16)
    model.fused_pooling = False  # the instance takes forward() and the layer hooks, as before
    hooked = evaluate(model, arrays, rows, labels.numpy(), torch.device("cpu"), 16, pool_layers=True)
    hooked_pooled = extract_pooled(model, arrays, rows, batch_size=16)
    np.testing.assert_allclose(fused.probs, hooked.probs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fused.loss, hooked.loss, rtol=1e-4, atol=1e-6)
    assert (fused.prediction == hooked.prediction).all()
    assert fused.pooled is not None and hooked.pooled is not None
    assert list(fused.pooled) == list(hooked.pooled) == ["embedding", "bag", "logits"]
    for name, x in hooked.pooled.items():
        assert fused.pooled[name].shape == x.shape and fused.pooled[name].dtype == np.float16, name
        np.testing.assert_allclose(fused.pooled[name].astype(np.float32), x.astype(np.float32), rtol=2e-3,
                                   atol=1e-4, err_msg=name)
        np.testing.assert_allclose(fused_pooled[name], hooked_pooled[name], rtol=1e-5, atol=1e-6, err_msg=name)
    # The embedding layer's vector is the mean word | mean pair, as the attribution view splits it.
    width = 8 * (2 if buckets else 1)
    assert fused.pooled["embedding"].shape == (70, width)


def test_thread_cap_holds_during_the_pass_only(monkeypatch: pytest.MonkeyPatch) -> None:
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        ngram, cnn = make_model("ngram"), make_model("cnn")
        with model_threads(ngram, torch.device("cpu")):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with model_threads(cnn, torch.device("cpu")):
            assert torch.get_num_threads() == 2
        # An explicit LENSBOARD_TORCH_THREADS is the operator's choice: no cap on top of it.
        monkeypatch.setenv("LENSBOARD_TORCH_THREADS", "2")
        get_settings.cache_clear()
        with model_threads(ngram, torch.device("cpu")):
            assert torch.get_num_threads() == 2
    finally:
        get_settings.cache_clear()
        torch.set_num_threads(before)
