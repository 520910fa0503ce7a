"""The map fitted on a sample vs fitted on every point, on one real latent space: trustworthiness and time.

Reads an epoch's map from a data folder that `python -m bench.scale --n N --keep` left (its latent vectors,
its layout, and the samples' labels and losses from the SQLite database), then lays the same latent space
out again fitting UMAP on a stratified sample of --fit-sample points and placing the rest with the
fitted model (worker.pipeline.projection.project). Prints both layouts' trustworthiness over the same 5k
seeded query points (k=15 among all points) and the sampled layout's time.

    python -m bench.map_fit_sample --data /tmp/lensboard-bench-scale-xxxx --fit-sample 20000
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from pathlib import Path

import numpy as np

from backend.core.specs.maps import MapParams
from worker.pipeline.projection import project, trustworthiness


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--data", type=Path, required=True, help="the data folder bench.scale --keep left")
    p.add_argument("--fit-sample", type=int, default=20_000)
    p.add_argument("--trust-sample", type=int, default=5_000)
    args = p.parse_args(argv)
    latent_file = next(args.data.glob("artifacts/versions/*/epoch_1/latent.npy"))
    coords_file = next(args.data.glob("artifacts/versions/*/epoch_1/map/coords.npy"))
    latent = np.load(latent_file).astype(np.float32)
    full = np.load(coords_file)
    db = sqlite3.connect(args.data / "lensboard.sqlite")
    rows = db.execute("SELECT s.label, r.loss FROM sample s JOIN sample_result r ON r.sample_id = s.id "
                      "WHERE r.epoch = 1 ORDER BY s.\"index\"").fetchall()
    labels = np.array([r[0] for r in rows], dtype=np.int64)
    loss = np.array([r[1] for r in rows], dtype=np.float32)
    assert len(labels) == len(latent), (len(labels), len(latent))
    n = len(latent)
    params = MapParams()
    t0 = time.perf_counter()
    sampled, _ = project(latent, params, fit_sample=args.fit_sample, labels=labels, loss=loss)
    seconds = time.perf_counter() - t0
    t_full = trustworthiness(latent, full, args.trust_sample)
    t_sampled = trustworthiness(latent, sampled, args.trust_sample)
    print(f"points={n} full_fit_trustworthiness={t_full:.4f}")
    print(f"fit_sample={args.fit_sample} sampled_fit_trustworthiness={t_sampled:.4f} sampled_fit_seconds={seconds:.1f}")


if __name__ == "__main__":
    main()
