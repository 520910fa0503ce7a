"""Benchmark: the IMDB import end to end (read the archive, fit, tokenize, write arrays and rows).

Usage: python -m bench.import_imdb [ARCHIVE]     (default: the shared labeled archive)
  LENSBOARD_BENCH_PER_CLASS=N  import only N reviews per (split, class) (default: all 50,000)
  LENSBOARD_BENCH_DB=URL       an EMPTY database to migrate and write to (default: SQLite in a temp folder)
Prints the time of each phase; the last line is `import_reviews_per_s=<x>`.
"""

from __future__ import annotations

import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

from backend.core.artifacts.store import LocalArtifactStore
from backend.core.data.importer import import_imdb_dataset
from backend.core.db.models import Dataset, Project
from backend.core.db.session import make_engine, make_session_factory
from backend.core.specs.imports import ImdbImportRequest
from tests.support.databases import migrate
from tests.support.services import SHARED_ARCHIVE  # honours LENSBOARD_IMDB_ARCHIVE


def main() -> None:
    archive = Path(sys.argv[1] if len(sys.argv) > 1 else SHARED_ARCHIVE).resolve()
    per_class_env = os.environ.get("LENSBOARD_BENCH_PER_CLASS")
    per_class = int(per_class_env) if per_class_env else None
    with tempfile.TemporaryDirectory(prefix="lensboard-bench-") as tmp:
        url = os.environ.get("LENSBOARD_BENCH_DB") or f"sqlite:///{tmp}/bench.sqlite"
        migrate(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        phases: dict[str, float] = {}
        start = time.perf_counter()

        def progress(_: float, message: str) -> None:
            phase = message.split(":")[0].split(" ")[0]  # reading | fitting | tokenizing | writing
            phases.setdefault(phase, time.perf_counter())

        with factory() as session:
            project = Project(name=f"bench-{os.getpid()}")
            session.add(project)
            session.flush()
            dataset = Dataset(project_id=project.id, name="imdb")
            session.add(dataset)
            session.commit()
            # The default validation size (5,000) needs the full train split; scale it for subsets.
            val_size = 5000 if per_class is None else 0.2
            request = ImdbImportRequest(path=str(archive), subset_per_class=per_class, val_size=val_size)
            store = LocalArtifactStore(Path(tmp) / "artifacts")
            stats = import_imdb_dataset(session, dataset, store, request, progress)
        total = time.perf_counter() - start
        engine.dispose()

    marks = [*sorted(phases.items(), key=lambda kv: kv[1]), ("end", start + total)]
    print(f"archive: {archive}")
    print(f"database: {url.split(':')[0]}, samples: {stats['num_samples']}, vocab: {stats['vocab_size']}")
    for (name, t0), (_, t1) in itertools.pairwise(marks):
        print(f"  {name:<11} {t1 - t0:7.2f} s")
    print(f"total: {total:.2f} s for {stats['num_samples']} reviews")
    print(f"import_reviews_per_s={stats['num_samples'] / total:.1f}")


if __name__ == "__main__":
    main()
