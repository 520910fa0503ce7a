"""The streamed import alone, in this process: rows/s and peak memory on SQLite or PostgreSQL.

Runs backend.core.data.streamed_import on a CSV (bench/make_corpus.py writes one) into a fresh database
(SQLite: a temporary file; PostgreSQL: `lensboard_bench_import` on LENSBOARD_BENCH_IMPORT_PG, default the
local server, dropped and made again), and prints the time of each phase as the import reports it, the
rows per second and this process's peak resident memory. Last line: `import_rows_per_s=`.

    python -m bench.import_large --csv /path/synthetic_100000.csv [--postgres]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend.core.artifacts.store import LocalArtifactStore
from backend.core.data.streamed_import import import_streamed_csv
from backend.core.db.models import Dataset, Project
from backend.core.db.session import make_engine, make_session_factory
from backend.core.settings import Settings
from backend.core.specs.imports import CustomImportOptions

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("LENSBOARD_BENCH_IMPORT_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DB = "lensboard_bench_import"


def migrated(url: str) -> str:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "head")
    return url


def postgres_url(name: str = PG_DB) -> str:
    """A fresh, empty database `name` on the local server (dropped first if it exists)."""
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--csv", type=Path, required=True)
    p.add_argument("--postgres", action="store_true")
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="lensboard-bench-import-"))
    try:
        (work / "imports").mkdir()
        csv = work / "imports" / args.csv.name
        os.symlink(args.csv.resolve(), csv)
        settings = Settings(data_dir=work, import_roots=[args.csv.resolve().parent])
        url = migrated(postgres_url() if args.postgres else f"sqlite:///{work / 'bench.sqlite'}")
        engine = make_engine(url)
        factory = make_session_factory(engine)
        store = LocalArtifactStore(work / "artifacts")
        phases: list[tuple[float, str]] = []
        last = [""]

        def progress(_f: float, message: str) -> None:
            phase = message.split(":")[0]
            if phase != last[0]:
                phases.append((time.perf_counter(), phase))
                last[0] = phase

        with factory() as s:
            project = Project(name="bench", description="", ui_state={})
            s.add(project)
            s.flush()
            dataset = Dataset(project_id=project.id, name="bench", source=str(csv), kind="custom",
                              status="importing", classes=[], config={}, stats={})
            s.add(dataset)
            s.commit()
            t0 = time.perf_counter()
            stats = import_streamed_csv(s, dataset, store, str(csv),
                                        CustomImportOptions(group_column="movie_id"), settings, progress)
            seconds = time.perf_counter() - t0
        engine.dispose()
        ends = [t for t, _ in phases[1:]] + [t0 + seconds]
        for (start, name), end in zip(phases, ends, strict=True):
            print(f"  {name}: {end - start:.1f} s")
        n = int(stats["num_samples"])
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"database={'postgresql' if args.postgres else 'sqlite'} samples={n} seconds={seconds:.1f} "
              f"peak_rss_mb={peak_mb:.0f} load_average={os.getloadavg()[0]:.1f}")
        print(f"import_rows_per_s={n / seconds:.0f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
