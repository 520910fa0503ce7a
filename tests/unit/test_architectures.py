"""Every architecture honours the TextClassifier contract: shapes, padding, latent layers, Captum,
training, the layer graph."""

from __future__ import annotations

import pytest
import torch
from captum.attr import LayerIntegratedGradients
from torch import Tensor, nn

from tests.unit.arch_support import ARCHITECTURES, BAD, GOOD, batch, make_model, toy_task
from worker.models.base import TextClassifier
from worker.pipeline.train import make_optimizer

torch.set_num_threads(1)

_models: dict[str, TextClassifier] = {}


def model_of(architecture: str) -> TextClassifier:
    """One instance per architecture per session (MiniLM takes seconds to load); returned in eval mode."""
    if architecture not in _models:
        _models[architecture] = make_model(architecture)
    return _models[architecture].eval()


ROWS = [[2, 4, 13, 6, 20, 8, 21], [16, 5, 14, 9], [7], [3, 22, 13, 24, 12, 11, 9, 21, 17, 30, 31]]


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_output_shape(architecture: str) -> None:
    model = model_of(architecture)
    ids, lengths = batch(ROWS)
    with torch.no_grad():
        logits = model(ids, lengths)
    assert logits.shape == (len(ROWS), 2)
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_padding_is_ignored(architecture: str) -> None:
    """A review scores the same alone and padded in a batch with a longer one."""
    model = model_of(architecture)
    short, long = ROWS[1], ROWS[3]
    with torch.no_grad():
        alone = model(*batch([short]))
        padded = model(*batch([long, short]))[1:]
    torch.testing.assert_close(alone, padded, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_latent_layers_pool_to_vectors(architecture: str) -> None:
    model = model_of(architecture)
    ids, lengths = batch(ROWS)
    captured: dict[str, Tensor] = {}
    handles = [
        module.register_forward_hook(lambda _m, _i, out, name=name: captured.__setitem__(name, out))
        for name, module in model.latent_layers().items()
    ]
    try:
        with torch.no_grad():
            model(ids, lengths)
    finally:
        for h in handles:
            h.remove()
    assert "embedding" in captured and len(captured) == len(model.latent_layers()) >= 3
    for name, out in captured.items():
        vec = model.pool(name, out, lengths)
        assert vec.dim() == 2 and vec.shape[0] == len(ROWS) and vec.shape[1] > 0, name
        assert torch.isfinite(vec).all(), name


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_integrated_gradients_per_token(architecture: str) -> None:
    model = model_of(architecture)
    ids, lengths = batch(ROWS)
    lig = LayerIntegratedGradients(model, model.embedding)
    # 256 steps: an untrained model's gaps are about 1e-3, and MiniLM's head over every tap left a Riemann
    # error of 3.3e-3 at 64 steps (0.97e-3 at 128, 0.49e-3 at 256): the tolerance must see the method.
    attributions, delta = lig.attribute(ids, baselines=torch.zeros_like(ids), target=1,
                                        additional_forward_args=(lengths,), n_steps=256,
                                        return_convergence_delta=True)
    assert attributions.shape[:2] == ids.shape
    per_token = attributions.sum(-1)
    assert per_token.shape == ids.shape
    assert torch.isfinite(per_token).all()
    # Real tokens carry attribution; completeness holds up to the integral's discretisation.
    assert per_token[0, : lengths[0]].abs().sum() > 0
    with torch.no_grad():
        gap = model(ids, lengths)[:, 1] - model(torch.zeros_like(ids), lengths)[:, 1]
    torch.testing.assert_close(per_token.sum(1), gap, atol=0.05 * float(gap.abs().max()) + 1e-3, rtol=0.1)
    assert delta.shape == (len(ROWS),)


def _train(model: TextClassifier, steps: int, lr: float) -> tuple[float, float]:
    ids, lengths, labels = toy_task(48)
    # The architecture's own optimiser (the n-gram model's sparse tables need adagrad or sgd), at `lr` for
    # adam and at the architecture's default rate otherwise.
    hp = getattr(model, "params", None)
    name = hp.optimizer if hp is not None else "adam"
    opt = make_optimizer(model, name, lr if name == "adam" else hp.learning_rate, 0.0)
    model.eval()
    with torch.no_grad():
        before = float(model.loss_fn(model(ids, lengths), labels))
    model.train()
    for step in range(steps):
        rows = slice((step * 16) % 48, (step * 16) % 48 + 16)
        opt.zero_grad()
        loss = model.loss_fn(model(ids[rows], lengths[rows]), labels[rows])
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        after = float(model.loss_fn(model(ids, lengths), labels))
    return before, after


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_training_steps_reduce_loss(architecture: str) -> None:
    model = make_model(architecture, dropout=0.0)
    before, after = _train(model, steps=30, lr=1e-2)
    assert after < 0.7 * before, (before, after)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_describe_is_a_consistent_graph(architecture: str) -> None:
    model = model_of(architecture)
    graph = model.describe()
    assert graph["architecture"] == architecture
    ids = {n["id"] for n in graph["nodes"]}
    assert len(ids) == len(graph["nodes"])
    assert {"input", "embedding", "loss", "optimizer"} <= ids
    for e in graph["edges"]:
        assert e["source"] in ids and e["target"] in ids
    assert graph["total_params"] == sum(p.numel() for p in model.parameters())
    assert sum(n["params"] for n in graph["nodes"]) <= graph["total_params"]


def test_bilstm_is_bidirectional() -> None:
    model = model_of("bilstm")
    rnns = [m for m in model.modules() if isinstance(m, nn.LSTM)]
    assert rnns and all(r.bidirectional for r in rnns)
    assert all(not r.bidirectional for r in model_of("lstm").modules() if isinstance(r, nn.LSTM))


def test_lstm_layers_are_tapped_separately() -> None:
    model = model_of("lstm")
    assert [n for n in model.latent_layers() if n.startswith("lstm")] == ["lstm1", "lstm2"]


def test_bow_counts_each_word_once_and_shares_its_credit() -> None:
    model = model_of("bow_mlp")
    once = [GOOD, 4, 13]
    thrice = [GOOD, 4, GOOD, 13, GOOD]
    with torch.no_grad():
        torch.testing.assert_close(model(*batch([once])), model(*batch([thrice])))
        emb = model.embedding(torch.tensor([thrice]))
    torch.testing.assert_close(emb[0, 0], emb[0, 2])
    torch.testing.assert_close(emb[0, 0] * 3, model.embedding.weight[GOOD])
    lig = LayerIntegratedGradients(model, model.embedding)
    ids, lengths = batch([[*thrice, 35, 1]])  # 35 lies outside top_n=30; 1 is [OOV]
    attr = lig.attribute(ids, baselines=torch.zeros_like(ids), target=1, additional_forward_args=(lengths,),
                         n_steps=16).sum(-1)[0]
    torch.testing.assert_close(attr[0], attr[2])
    torch.testing.assert_close(attr[2], attr[4])
    assert float(attr[5]) == 0.0 and float(attr[6]) == 0.0


def test_bow_mse_loss() -> None:
    model = make_model("bow_mlp", loss="mse")
    logits = torch.tensor([[2.0, 0.0], [0.0, 0.0]])
    labels = torch.tensor([0, 1])
    per_sample = model.loss_fn(logits, labels, reduction="none")
    p = torch.softmax(logits, -1)
    expected = torch.stack([(p[0, 0] - 1) ** 2 + p[0, 1] ** 2, p[1, 0] ** 2 + (p[1, 1] - 1) ** 2])
    torch.testing.assert_close(per_sample, expected)
    torch.testing.assert_close(model.loss_fn(logits, labels), expected.mean())
    before, after = _train(model, steps=30, lr=1e-2)
    assert after < 0.7 * before


def test_bow_without_hidden_layers_is_linear() -> None:
    model = make_model("bow_mlp", hidden_layers=0).eval()
    with torch.no_grad():
        a, b, both = (model(*batch([r]))[0] for r in ([GOOD], [BAD], [GOOD, BAD]))
    torch.testing.assert_close(both - model.bias, (a - model.bias) + (b - model.bias))


def test_build_model_keeps_the_cnn_call_sites() -> None:
    from worker.models.registry import build_model

    model = build_model("cnn", {}, 50, 2)
    assert model.architecture == "cnn"
    restored = build_model("lstm", {"hidden_size": 4, "embedding_dim": 4}, 50, 3)
    assert restored(*batch([[2, 3, 4]])).shape == (1, 3)
