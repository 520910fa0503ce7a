"""Mislabel-detection harness: plant seeded label noise in IMDB train, train, rank, score the rankings.

    python -m bench.mislabels          (make bench-mislabels)

For each noise variant it trains a model (the n-gram architecture unless LENSBOARD_BENCH_ARCH names another) on the
noisy labels (the "version"), the K fold models
for out-of-sample probabilities, and reports precision@k, recall@k (k = number flipped) and AUROC for
every signal, for combinations of them, for the default score, and for the plain "sort by training
loss" baseline. Variants:
- uniform: 5% of train flipped at random;
- class-conditional: the same 5%, 80% of it from the positive class;
- instance: instance-dependent noise, closer to human errors: the flip probability rises with a strong
  model's uncertainty about the review, so the flipped reviews are the ambiguous ones. To keep it honest
  that model is NOT one the ranking uses: a logistic regression on character 2-5-grams (another feature
  family than the reference's word n-grams and the version's token models) fitted on IMDB's TEST split
  (reviews disjoint from the ranked train split) with the true labels; its probability p of each train
  review's true label gives the uncertainty 1 - |2p - 1|, and a review is flipped with probability
  proportional to its square (the same 5% in total);
- multiclass: IMDB's ratings bucketed into 4 classes (1-2, 3-4, 7-8, 9-10), 5% moved to a random other
  class (the suggested label is scored too).
The map signal (neighbourhood disagreement) is computed as production computes it: the version's pooled
activations, reduced to the latent space, its k nearest neighbours, the share with another label.
Last two lines: `auroc=<default score, uniform>` then `auroc_instance=<default score, instance>`.

It works in memory with the pipeline's own stages (tokenizer, token arrays, batching, training,
evaluation, the fold plan and fold models of worker/mislabels), so it measures exactly what the
suspects job computes, without a database.

The reference model (worker/mislabels/reference.py) is scored as a whole and per member (NBSVM, NB-weighted TF-IDF).

Environment: LENSBOARD_BENCH_PER_CLASS (train reviews per class; default all 12,500),
LENSBOARD_BENCH_ARCH (the version's architecture, default "ngram", ~8 s/epoch on the full train split on 2
cores, so all four variants run in about 25 minutes; "cnn", the walkthrough's model, takes about 25 minutes a
variant),
LENSBOARD_BENCH_EPOCHS (3), LENSBOARD_BENCH_FOLDS (5), LENSBOARD_BENCH_NOISE (0.05),
LENSBOARD_BENCH_SEED (0; the noise draw, the subset and the training seed),
LENSBOARD_BENCH_SET (hyperparameter overrides, "key=value,key=value"; default: the architecture's defaults),
LENSBOARD_BENCH_VARIANTS (comma list, default "uniform,class-conditional,instance,multiclass"),
LENSBOARD_IMDB_ARCHIVE (the shared labeled archive), LENSBOARD_TORCH_THREADS,
LENSBOARD_BENCH_SIGNALS_OUT (a path: save every per-sample signal there, one .npz per variant),
LENSBOARD_BENCH_SIGNALS_IN (a path saved by an earlier run: take the version's and the fold models'
probabilities from it instead of training them again, and the reference members' where saved, and the
instance variant's flips; the ranking and the scoring run again).
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
from backend.core.specs.architectures import ARCHITECTURES
from backend.core.specs.maps import MapParams
from backend.core.text import token_store
from backend.core.text.tokenizer import TextTokenizer
from worker.mislabels import reference
from worker.mislabels.combine import rank_average
from worker.mislabels.cross_val import fold_training_rows, make_plan, predict_fold
from worker.mislabels.metrics import auroc, precision_recall_at_k
from worker.mislabels.ranking import REFERENCE_WEIGHT, SplitInput, rank_split
from worker.mislabels.signals import confident_learning
from worker.models.registry import build_model
from worker.models.word_vectors import vocabulary
from worker.pipeline.batching import bucketed_batches
from worker.pipeline.data import TrainingData
from worker.pipeline.device import pick_device
from worker.pipeline.evaluate import evaluate
from worker.pipeline.latent import build_latent_space, extract_pooled
from worker.pipeline.neighbors import knn_graph, neighborhood_disagreement
from worker.pipeline.population_map import GRAPH_K
from worker.pipeline.seeding import seed_everything
from worker.pipeline.train import make_optimizer, set_epoch_learning_rate, train_one_epoch

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = os.environ.get("LENSBOARD_IMDB_ARCHIVE", str(ROOT.parent / "shared/data/aclImdb_v1_labeled.tar.gz"))
PER_CLASS = int(os.environ.get("LENSBOARD_BENCH_PER_CLASS", "0")) or None
ARCH = os.environ.get("LENSBOARD_BENCH_ARCH", "ngram")
EPOCHS = int(os.environ.get("LENSBOARD_BENCH_EPOCHS", "3"))
FOLDS = int(os.environ.get("LENSBOARD_BENCH_FOLDS", "5"))
NOISE = float(os.environ.get("LENSBOARD_BENCH_NOISE", "0.05"))
OVERRIDES = dict(kv.split("=", 1) for kv in os.environ.get("LENSBOARD_BENCH_SET", "").split(",") if kv)
# Another seed draws other flips (and trains with another seed): settings are chosen on one draw, reported on
# the default (0).
SEED = int(os.environ.get("LENSBOARD_BENCH_SEED", "0"))
# "uniform" alone halves the run; the target is on uniform flips.
SIGNALS_OUT = os.environ.get("LENSBOARD_BENCH_SIGNALS_OUT", "")
SIGNALS_IN = os.environ.get("LENSBOARD_BENCH_SIGNALS_IN", "")
VARIANTS = [v for v in os.environ.get("LENSBOARD_BENCH_VARIANTS",
                                      "uniform,class-conditional,instance,multiclass").split(",") if v]
# IMDB ratings (1-4 negative, 7-10 positive) bucketed into four classes for the multi-class run.
BUCKETS = {1: 0, 2: 0, 3: 1, 4: 1, 7: 2, 8: 2, 9: 3, 10: 3}
BUCKET_NAMES = ["1-2", "3-4", "7-8", "9-10"]
VOCAB, MAX_LEN = 20_000, 400


def log(msg: str) -> None:
    print(msg, flush=True)


@dataclass(frozen=True)
class Corpus:
    data: TrainingData
    truth: npt.NDArray[np.int64]  # the TRUE binary labels
    texts: list[str]
    scores: npt.NDArray[np.int64]  # the reviewers' ratings
    test_texts: list[str]  # IMDB's test split: only the instance-noise model is fitted on it
    test_labels: npt.NDArray[np.int64]
    store: ArtifactStore  # where its token arrays are (and a fold model's fitted vectors would be)


def load_train(store: ArtifactStore) -> Corpus:
    """IMDB train (optionally a seeded per-class subset) as TrainingData with its TRUE labels, its texts and
    the reviewers' ratings; IMDB test beside it."""
    every = list(iter_reviews(ARCHIVE))
    reviews = [r for r in every if r.split == "train"]
    test = [r for r in every if r.split == "test"]
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
    return Corpus(data=data, truth=labels, texts=texts, scores=np.array([r.score for r in reviews], dtype=np.int64),
                  test_texts=[r.text for r in test], test_labels=np.array([r.label for r in test], dtype=np.int64),
                  store=store)


def plant_noise(labels: npt.NDArray[np.int64], variant: str, rate: float, seed: int,
                uncertainty: npt.NDArray[np.float64] | None = None) -> npt.NDArray[np.bool_]:
    """Which rows to flip. Uniform (and multiclass): `rate` of all rows. Class-conditional: the same count,
    80% of it from the positive class (positives read as negative far more often than the reverse).
    Instance: the same count, drawn with probability proportional to the squared uncertainty of a strong
    model, so the flips are the reviews a human would most likely get wrong."""
    rng = np.random.default_rng(seed)
    k = round(rate * len(labels))
    flip = np.zeros(len(labels), dtype=bool)
    if variant in ("uniform", "multiclass"):
        flip[rng.choice(len(labels), size=k, replace=False)] = True
    elif variant == "instance":
        assert uncertainty is not None
        w = np.asarray(uncertainty, dtype=np.float64) ** 2 + 1e-6
        flip[rng.choice(len(labels), size=k, replace=False, p=w / w.sum())] = True
    else:
        k_pos = round(0.8 * k)
        flip[rng.choice(np.flatnonzero(labels == 1), size=k_pos, replace=False)] = True
        flip[rng.choice(np.flatnonzero(labels == 0), size=k - k_pos, replace=False)] = True
    return flip


def flipped_labels(truth: npt.NDArray[np.int64], flip: npt.NDArray[np.bool_], num_classes: int,
                   seed: int) -> npt.NDArray[np.int64]:
    """Each flipped row moved to another class (the other one for two, a random other one beyond)."""
    rng = np.random.default_rng(seed)
    shift = rng.integers(1, num_classes, size=len(truth)) if num_classes > 2 else np.ones(len(truth), np.int64)
    return np.where(flip, (truth + shift) % num_classes, truth).astype(np.int64)


def strong_model_uncertainty(corpus: Corpus) -> npt.NDArray[np.float64]:
    """1 - |2 p(true label) - 1| for every train review, from a model the ranking does not use: character
    2-5-gram TF-IDF logistic regression fitted on IMDB test (disjoint reviews) with the true labels."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=3,
                                 max_features=300_000, preprocessor=reference._clean)
    model = LogisticRegression(C=4.0, max_iter=1000)
    model.fit(vectorizer.fit_transform(corpus.test_texts), corpus.test_labels)
    probs = model.predict_proba(vectorizer.transform(corpus.texts))
    p = probs[np.arange(len(corpus.truth)), corpus.truth]
    log(f"  instance-noise model (char n-grams, fitted on IMDB test): accuracy on train "
        f"{(probs.argmax(1) == corpus.truth).mean():.3f}")
    return np.asarray(1.0 - np.abs(2 * p - 1), dtype=np.float64)


@dataclass(frozen=True)
class Outcome:
    name: str
    precision: float
    recall: float
    auroc: float


def train_version(version: ModelVersion, data: TrainingData, device: torch.device,
                  ) -> tuple[list[npt.NDArray[np.float32]], npt.NDArray[np.float32], npt.NDArray[np.float64]]:
    """Train on all (noisy) train rows like a version does; (probs after each epoch, final losses, the map's
    neighbourhood disagreement on the final model's latent space)."""
    params = ARCHITECTURES[version.architecture](**version.hyperparameters)
    batch_rng = seed_everything(version.seed)
    model = build_model(version.architecture, version.hyperparameters, data.vocab_size, data.num_classes,
                        vocab=data.vocab)
    model.to(device)
    optimizer = make_optimizer(model, params.optimizer, params.learning_rate, params.weight_decay)
    rows = data.train_rows
    probs, loss = [], np.zeros(0, dtype=np.float32)
    for epoch in range(1, EPOCHS + 1):
        t = time.perf_counter()
        set_epoch_learning_rate(optimizer, params.learning_rate, params.lr_decay, epoch)
        batches = bucketed_batches(data.lengths, rows, params.batch_size, params.bucket_chunk_batches,
                                   batch_rng)
        stats = train_one_epoch(model, optimizer, data.arrays, batches, data.train_labels, device,
                                grad_clip=params.grad_clip)
        ev = evaluate(model, data.arrays, rows, data.train_labels[rows], device, params.eval_batch_size)
        probs.append(ev.probs)
        loss = ev.loss
        log(f"  version epoch {epoch}: train loss {stats.loss:.3f}, {time.perf_counter() - t:.0f}s")
    return probs, loss, map_disagreement(model, data, device)


def map_disagreement(model: torch.nn.Module, data: TrainingData, device: torch.device) -> npt.NDArray[np.float64]:
    """The population map's signal, with the map's own stages and defaults (worker/pipeline)."""
    params = MapParams()
    pooled = extract_pooled(model, data.arrays, data.train_rows, params.batch_size, device)  # type: ignore[arg-type]
    latent = build_latent_space(pooled, params.dims_per_layer, params.seed)
    graph = knn_graph(latent.vectors, max(GRAPH_K, params.n_neighbors), params.metric, params.seed)
    return neighborhood_disagreement(graph, data.train_labels).astype(np.float64)


def run_variant(variant: str, corpus: Corpus, device: torch.device) -> list[Outcome]:
    multi = variant == "multiclass"
    c = len(BUCKET_NAMES) if multi else 2
    data, texts = corpus.data, corpus.texts
    truth = np.array([BUCKETS[int(x)] for x in corpus.scores], dtype=np.int64) if multi else corpus.truth
    saved = np.load(Path(SIGNALS_IN).with_suffix(f".{variant}.npz")) if SIGNALS_IN else None
    if saved is not None and variant == "instance":
        # The instance-noise model's fit is skipped: the flips are the saved ones (planted by this code).
        flip = saved["flip"]
    else:
        uncertainty = strong_model_uncertainty(corpus) if variant == "instance" else None
        flip = plant_noise(truth, variant, NOISE, SEED + 1, uncertainty)
    noisy = flipped_labels(truth, flip, c, SEED + 2)
    data = replace(data, labels=noisy, train_labels=noisy, num_classes=c)
    version = ModelVersion(id=0, architecture=ARCH, hyperparameters=ARCHITECTURES[ARCH](**OVERRIDES).model_dump(),
                           seed=SEED, data_fixes={})
    k = int(flip.sum())
    log(f"{variant}: {len(truth)} train reviews, {c} classes, {k} flipped")
    plan = make_plan(data, FOLDS, version.seed)

    t0 = time.perf_counter()
    if saved is not None:
        if not np.array_equal(saved["flip"], flip) or not np.array_equal(saved["noisy"], noisy):
            raise SystemExit(f"{SIGNALS_IN}: saved with other flips (another seed, noise rate or subset)")
        by_epoch, final_loss, oos = list(saved["by_epoch"]), saved["final_loss"], saved["oos"]
        neigh = saved["neighbourhood"]
        log("  the version and its fold models: read from the saved run (LENSBOARD_BENCH_SIGNALS_IN)")
    else:
        by_epoch, final_loss, neigh = train_version(version, data, device)
        oos = np.zeros((len(truth), c), dtype=np.float32)
        for f in range(FOLDS):
            t = time.perf_counter()
            oos[plan.held_out(f)] = predict_fold(version, data, corpus.store, plan, f, EPOCHS, device)
            log(f"  fold {f + 1}/{FOLDS}: {time.perf_counter() - t:.0f}s")
    saved_members = {name: saved[f"ref_{name}"] for name in reference.MEMBERS
                     if saved is not None and f"ref_{name}" in saved}
    if len(saved_members) == len(reference.MEMBERS):
        members = saved_members
        log("  the reference model's members: read from the saved run")
    elif saved is not None and "reference" in saved and not any(k.startswith("ref_") for k in saved.files):
        # an older file: the average alone, no member rows (a file with other members refits: they changed)
        members = {"saved reference": saved["reference"]}
        log("  the reference model: its saved average (the file holds no members)")
    else:
        members = {name: np.zeros_like(oos) for name in reference.MEMBERS}
        for f in range(FOLDS):
            t = time.perf_counter()
            fold_parts = reference.predict_rows_members(texts, fold_training_rows(plan, data, f),
                                                        data.train_labels, plan.held_out(f), c)
            for name, member_probs in fold_parts.items():
                members[name][plan.held_out(f)] = member_probs
            log(f"  reference model, fold {f + 1}/{FOLDS}: {time.perf_counter() - t:.0f}s")
    # What reference.fit_predict returns: the members' average.
    ref = np.mean(np.stack(list(members.values())), axis=0).astype(np.float32)
    log(f"  trained in {time.perf_counter() - t0:.0f}s; out-of-sample accuracy vs true labels: fold models "
        f"{(oos.argmax(1) == truth).mean():.3f}, reference {(ref.argmax(1) == truth).mean():.3f} ("
        + ", ".join(f"{name} {(m.argmax(1) == truth).mean():.3f}" for name, m in members.items())
        + f"), both "
        f"{(((1 - REFERENCE_WEIGHT) * oos + REFERENCE_WEIGHT * ref).argmax(1) == truth).mean():.3f}")

    # The product's own ranking of the train split (what the suspects job stores), map signal included.
    inp = SplitInput(sample_ids=np.arange(len(truth), dtype=np.int64), labels=noisy, oos_probs=oos,
                     classes=BUCKET_NAMES if multi else ["negative", "positive"], probs_by_epoch=np.stack(by_epoch),
                     reference_probs=ref, neighbour_disagreement=neigh)
    ranked = rank_split(inp)
    cl_version, _ = confident_learning(noisy, oos)
    cl_reference, _ = confident_learning(noisy, ref)
    dynamics, cl_both = ranked.signals["dynamics"], ranked.signals["confident_learning"]
    assert dynamics is not None and cl_both is not None
    parts = {"confident_learning": cl_both, "dynamics": dynamics, "neighbourhood": neigh}

    def combo(**w: float) -> npt.NDArray[np.float64]:
        return rank_average({k: v for k, v in parts.items() if k in w}, w)[0]

    signals = {
        "loss (baseline)": final_loss.astype(np.float64),
        "CL, version's folds": cl_version,
        "CL, reference model": cl_reference,
        **{f"CL, reference: {name}": confident_learning(noisy, m)[0] for name, m in members.items()},
        "CL, both models": cl_both,
        "cleanlab issues (0/1)": ranked.label_issue.astype(np.float64),
        "dynamics (AUM)": dynamics,
        "neighbourhood (map)": neigh,
        "CL + AUM 2:1": combo(confident_learning=2, dynamics=1),
        "CL + map 2:1": combo(confident_learning=2, neighbourhood=1),
        "CL + AUM + map 2:1:1": combo(confident_learning=2, dynamics=1, neighbourhood=1),
        "default score": ranked.score,
    }
    if SIGNALS_OUT:
        # Every signal per sample, with the planted flips: new combinations can be scored from this file in
        # seconds instead of another hour and a half of training (LENSBOARD_BENCH_SIGNALS_IN).
        np.savez_compressed(Path(SIGNALS_OUT).with_suffix(f".{variant}.npz"), flip=flip, noisy=noisy, oos=oos,
                            reference=ref, by_epoch=np.stack(by_epoch), neighbourhood=neigh,
                            **{f"ref_{name}": m for name, m in members.items()},
                            final_loss=final_loss, cl=cl_both, aum=dynamics)
    out = []
    for name, sig in signals.items():
        p, r = precision_recall_at_k(sig, flip, k)
        out.append(Outcome(name, p, r, auroc(sig, flip)))
    log(f"  {'signal':<28} {'p@k':>6} {'r@k':>6} {'AUROC':>7}")
    for o in out:
        log(f"  {o.name:<28} {o.precision:6.3f} {o.recall:6.3f} {o.auroc:7.4f}")
    # How precise and complete the default score is at a few depths (the suspects view's estimate beside its
    # threshold count reads this table from the uniform run: backend/api/services/suspect_estimates.py).
    depths = (0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3)
    log("  default score, top share: precision / recall: " + ", ".join(
        f"{d:g}: {flip[ranked.order[:round(d * len(flip))]].mean():.3f} / "
        f"{flip[ranked.order[:round(d * len(flip))]].sum() / k:.3f}" for d in depths))
    top = ranked.order[:k]
    found = top[flip[top]]
    if len(found):
        log(f"  suggested label = true label for {(ranked.suggested[found] == truth[found]).mean():.3f} of the "
            f"{len(found)} flips in the top {k}")
    return out


def main() -> int:
    threads = os.environ.get("LENSBOARD_TORCH_THREADS")
    if threads:
        torch.set_num_threads(int(threads))
    device = pick_device()
    log(f"mislabels bench: model {ARCH}{' ' + str(OVERRIDES) if OVERRIDES else ''}, device {device}, "
        f"epochs {EPOCHS}, folds {FOLDS}, noise {NOISE:.0%}, seed {SEED}, per class {PER_CLASS or 'all'}, "
        f"reference {' + '.join(reference.MEMBERS)}")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = load_train(LocalArtifactStore(tmp))
        results = {v: run_variant(v, corpus, device) for v in VARIANTS}
    default = {v: next(o for o in rs if o.name == "default score") for v, rs in results.items()}
    log("")
    log(f"{'AUROC / p@k':<28} " + " ".join(f"{v:>19}" for v in results))
    for name in (o.name for o in next(iter(results.values()))):
        row = [next(o for o in results[v] if o.name == name) for v in results]
        log(f"{name:<28} " + " ".join(f"{o.auroc:10.4f} / {o.precision:5.3f}" for o in row))
    for v, rs in results.items():
        best = max((o for o in rs if o.name != "default score"), key=lambda o: o.auroc)
        verdict = "not worse than" if default[v].auroc >= best.auroc - 1e-9 else "WORSE than"
        log(f"{v}: default AUROC {default[v].auroc:.4f} is {verdict} the best other signal "
            f"({best.name}, {best.auroc:.4f})")
    nan = float("nan")
    log(f"auroc={default['uniform'].auroc if 'uniform' in default else nan:.4f}")
    log(f"auroc_instance={default['instance'].auroc if 'instance' in default else nan:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
