"""Mislabel-detection harness: plant seeded label noise in IMDB train, train, rank, score the rankings.

    python -m bench.mislabels          (make bench-mislabels)

For each noise variant (uniform: 5% of train flipped at random; class-conditional: the same 5%
taken mostly from one class), it trains the default CNN on the noisy labels (the "version"), the K
fold models for out-of-sample probabilities, and reports precision@k, recall@k (k = number flipped)
and AUROC for every signal, for the combination, and for the plain "sort by training loss" baseline.
The population-map signal needs a map and is left out here. Last line: `auroc=<combination, uniform>`.

It works in memory with the pipeline's own stages (tokenizer, token arrays, batching, training,
evaluation, the fold plan and fold models of worker/mislabels), so it measures exactly what the
suspects job computes, without a database.

Environment: LENSBOARD_BENCH_PER_CLASS (train reviews per class; default all 12,500),
LENSBOARD_BENCH_EPOCHS (3), LENSBOARD_BENCH_FOLDS (5), LENSBOARD_BENCH_NOISE (0.05),
LENSBOARD_BENCH_SET (hyperparameter overrides, "key=value,key=value"; default: the default CNN),
LENSBOARD_BENCH_VARIANTS (comma list, default "uniform,class-conditional"),
LENSBOARD_IMDB_ARCHIVE (the shared labeled archive), LENSBOARD_TORCH_THREADS,
LENSBOARD_BENCH_SIGNALS_OUT (a path: save every per-sample signal there, one .npz per variant),
LENSBOARD_BENCH_SIGNALS_IN (a path saved by an earlier run: take the version's and the fold models'
probabilities from it instead of training them again; the reference model and the ranking still run).
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch

from backend.core.artifacts.store import ArtifactStore, LocalArtifactStore
from backend.core.data.imdb import iter_reviews
from backend.core.db.models import ModelVersion
from backend.core.specs.architectures import CnnParams
from backend.core.text import token_store
from backend.core.text.tokenizer import TextTokenizer
from worker.mislabels import reference
from worker.mislabels.cross_val import fold_training_rows, make_plan, predict_fold
from worker.mislabels.metrics import auroc, precision_recall_at_k
from worker.mislabels.ranking import SplitInput, rank_split
from worker.mislabels.signals import confident_learning
from worker.models.registry import build_model
from worker.models.word_vectors import vocabulary
from worker.pipeline.batching import bucketed_batches
from worker.pipeline.data import TrainingData
from worker.pipeline.device import pick_device
from worker.pipeline.evaluate import evaluate
from worker.pipeline.seeding import seed_everything
from worker.pipeline.train import make_optimizer, set_epoch_learning_rate, train_one_epoch

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = os.environ.get("LENSBOARD_IMDB_ARCHIVE", str(ROOT.parent / "shared/data/aclImdb_v1_labeled.tar.gz"))
PER_CLASS = int(os.environ.get("LENSBOARD_BENCH_PER_CLASS", "0")) or None
EPOCHS = int(os.environ.get("LENSBOARD_BENCH_EPOCHS", "3"))
FOLDS = int(os.environ.get("LENSBOARD_BENCH_FOLDS", "5"))
NOISE = float(os.environ.get("LENSBOARD_BENCH_NOISE", "0.05"))
OVERRIDES = dict(kv.split("=", 1) for kv in os.environ.get("LENSBOARD_BENCH_SET", "").split(",") if kv)
SEED = 0
# "uniform" alone halves the run; the target is on uniform flips.
SIGNALS_OUT = os.environ.get("LENSBOARD_BENCH_SIGNALS_OUT", "")
SIGNALS_IN = os.environ.get("LENSBOARD_BENCH_SIGNALS_IN", "")
VARIANTS = [v for v in os.environ.get("LENSBOARD_BENCH_VARIANTS", "uniform,class-conditional").split(",") if v]
VOCAB, MAX_LEN = 20_000, 400


def log(msg: str) -> None:
    print(msg, flush=True)


def load_train(store: ArtifactStore) -> tuple[TrainingData, npt.NDArray[np.int64], list[str]]:
    """IMDB train (optionally a seeded per-class subset) as TrainingData with its TRUE labels, and its texts."""
    reviews = [r for r in iter_reviews(ARCHIVE) if r.split == "train"]
    if PER_CLASS is not None:
        rng = random.Random(SEED)
        by_class = [[x for x in reviews if x.label == label] for label in (0, 1)]
        reviews = [r for group in by_class for r in rng.sample(group, PER_CLASS)]
    texts = [r.text for r in reviews]
    tok = TextTokenizer.fit(texts, VOCAB, MAX_LEN)
    token_store.save_tokens(store, 0, tok, tok.encode_batch(texts))
    arrays = token_store.load_tokens(store, 0)
    labels = np.array([r.label for r in reviews], dtype=np.int64)
    n = len(labels)
    data = TrainingData(arrays=arrays, sample_ids=np.arange(n, dtype=np.int64), labels=labels,
                        splits=np.array(["train"] * n), train_rows=np.arange(n, dtype=np.int64),
                        train_labels=labels, vocab=vocabulary(tok), num_classes=2)
    return data, labels, texts


def plant_noise(labels: npt.NDArray[np.int64], variant: str, rate: float, seed: int) -> npt.NDArray[np.bool_]:
    """Which rows to flip. Uniform: `rate` of all rows. Class-conditional: the same count, 80% of it
    from the positive class (positives read as negative far more often than the reverse)."""
    rng = np.random.default_rng(seed)
    k = round(rate * len(labels))
    flip = np.zeros(len(labels), dtype=bool)
    if variant == "uniform":
        flip[rng.choice(len(labels), size=k, replace=False)] = True
    else:
        k_pos = round(0.8 * k)
        flip[rng.choice(np.flatnonzero(labels == 1), size=k_pos, replace=False)] = True
        flip[rng.choice(np.flatnonzero(labels == 0), size=k - k_pos, replace=False)] = True
    return flip


@dataclass(frozen=True)
class Outcome:
    name: str
    precision: float
    recall: float
    auroc: float


def train_version(version: ModelVersion, data: TrainingData, device: torch.device,
                  ) -> tuple[list[npt.NDArray[np.float32]], npt.NDArray[np.float32]]:
    """Train on all (noisy) train rows like a version does; (probs after each epoch, final losses)."""
    params = CnnParams(**version.hyperparameters)
    batch_rng = seed_everything(version.seed)
    model = build_model(version.architecture, version.hyperparameters, data.vocab_size, 2, vocab=data.vocab)
    model.to(device)
    optimizer = make_optimizer(model, params.optimizer, params.learning_rate, params.weight_decay)
    rows = data.train_rows
    probs, loss = [], np.zeros(0, dtype=np.float32)
    for epoch in range(1, EPOCHS + 1):
        t = time.perf_counter()
        set_epoch_learning_rate(optimizer, params.learning_rate, params.lr_decay, epoch)
        batches = bucketed_batches(data.lengths, rows, params.batch_size, params.bucket_chunk_batches,
                                   batch_rng)
        stats = train_one_epoch(model, optimizer, data.arrays, batches, data.train_labels, device)
        ev = evaluate(model, data.arrays, rows, data.train_labels[rows], device, params.eval_batch_size)
        probs.append(ev.probs)
        loss = ev.loss
        log(f"  version epoch {epoch}: train loss {stats.loss:.3f}, {time.perf_counter() - t:.0f}s")
    return probs, loss


def run_variant(variant: str, data: TrainingData, truth: npt.NDArray[np.int64], texts: list[str],
                device: torch.device) -> list[Outcome]:
    flip = plant_noise(truth, variant, NOISE, SEED + 1)
    noisy = np.where(flip, 1 - truth, truth)
    data = replace(data, labels=noisy, train_labels=noisy)
    version = ModelVersion(id=0, architecture="cnn", hyperparameters=CnnParams(**OVERRIDES).model_dump(),
                           seed=SEED, data_fixes={})
    k = int(flip.sum())
    log(f"{variant}: {len(truth)} train reviews, {k} flipped ({flip[truth == 1].sum()} pos→neg)")
    plan = make_plan(data, FOLDS, version.seed)

    t0 = time.perf_counter()
    if SIGNALS_IN:
        saved = np.load(Path(SIGNALS_IN).with_suffix(f".{variant}.npz"))
        if not np.array_equal(saved["flip"], flip):
            raise SystemExit(f"{SIGNALS_IN}: saved with other flips (another seed, noise rate or subset)")
        by_epoch, final_loss, oos = list(saved["by_epoch"]), saved["final_loss"], saved["oos"]
        log("  the version and its fold models: read from the saved run (LENSBOARD_BENCH_SIGNALS_IN)")
    else:
        by_epoch, final_loss = train_version(version, data, device)
        oos = np.zeros((len(truth), 2), dtype=np.float32)
        for f in range(FOLDS):
            t = time.perf_counter()
            oos[plan.held_out(f)] = predict_fold(version, data, plan, f, EPOCHS, device)
            log(f"  fold {f + 1}/{FOLDS}: {time.perf_counter() - t:.0f}s")
    ref = np.zeros_like(oos)
    for f in range(FOLDS):
        t = time.perf_counter()
        ref[plan.held_out(f)] = reference.predict_rows(texts, fold_training_rows(plan, data, f), data.train_labels,
                                                       plan.held_out(f), 2)
        log(f"  reference model, fold {f + 1}/{FOLDS}: {time.perf_counter() - t:.0f}s")
    log(f"  trained in {time.perf_counter() - t0:.0f}s; out-of-sample accuracy vs true labels: fold models "
        f"{(oos.argmax(1) == truth).mean():.3f}, reference {(ref.argmax(1) == truth).mean():.3f}, both "
        f"{((oos + ref).argmax(1) == truth).mean():.3f}")

    # The product's own ranking of the train split (what the suspects job stores), no map.
    ranked = rank_split(SplitInput(sample_ids=np.arange(len(truth), dtype=np.int64), labels=noisy, oos_probs=oos,
                                   classes=["negative", "positive"], probs_by_epoch=np.stack(by_epoch),
                                   reference_probs=ref))
    cl_version, _ = confident_learning(noisy, oos)
    cl_reference, _ = confident_learning(noisy, ref)
    dynamics, cl_both = ranked.signals["dynamics"], ranked.signals["confident_learning"]
    assert dynamics is not None and cl_both is not None
    signals = {
        "loss (baseline)": final_loss.astype(np.float64),
        "CL, version's folds": cl_version,
        "CL, reference model": cl_reference,
        "CL, both models": cl_both,
        "cleanlab issues (0/1)": ranked.label_issue.astype(np.float64),
        "dynamics (AUM)": dynamics,
        "combination (default)": ranked.score,
    }
    if SIGNALS_OUT:
        # Every signal per sample, with the planted flips: new combinations can be scored from this file in
        # seconds instead of another hour and a half of training (LENSBOARD_BENCH_SIGNALS_IN).
        np.savez_compressed(Path(SIGNALS_OUT).with_suffix(f".{variant}.npz"), flip=flip, noisy=noisy, oos=oos,
                            reference=ref, by_epoch=np.stack(by_epoch),
                            final_loss=final_loss, cl=cl_both, aum=dynamics)
    out = []
    for name, s in signals.items():
        p, r = precision_recall_at_k(s, flip, k)
        out.append(Outcome(name, p, r, auroc(s, flip)))
    log(f"  {'signal':<28} {'p@k':>6} {'r@k':>6} {'AUROC':>7}")
    for o in out:
        log(f"  {o.name:<28} {o.precision:6.3f} {o.recall:6.3f} {o.auroc:7.4f}")
    return out


def main() -> int:
    threads = os.environ.get("LENSBOARD_TORCH_THREADS")
    if threads:
        torch.set_num_threads(int(threads))
    device = pick_device()
    log(f"mislabels bench: device {device}, epochs {EPOCHS}, folds {FOLDS}, noise {NOISE:.0%}, "
        f"per class {PER_CLASS or 'all'}")
    with tempfile.TemporaryDirectory() as tmp:
        data, truth, texts = load_train(LocalArtifactStore(tmp))
        results = {v: run_variant(v, data, truth, texts, device) for v in VARIANTS}
    combo = {v: next(o for o in rs if o.name.startswith("combination")) for v, rs in results.items()}
    base = {v: next(o for o in rs if o.name.startswith("loss")) for v, rs in results.items()}
    for v in results:
        verdict = "beats" if combo[v].auroc > base[v].auroc else "does NOT beat"
        log(f"{v}: combination AUROC {combo[v].auroc:.4f} {verdict} the loss ranking ({base[v].auroc:.4f})")
    first = "uniform" if "uniform" in combo else VARIANTS[0]
    log(f"auroc={combo[first].auroc:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
