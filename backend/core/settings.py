"""The one settings object, shared by the API, the CLI and the worker.

Environment variables alone switch between the embedded default (SQLite, a SQLAlchemy-backed
Celery broker, a local artifact folder) and distributed mode (PostgreSQL, Redis, a shared store:
a folder every worker mounts, or an S3-compatible bucket).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LENSBOARD_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path(".lensboard"), description="Root of everything embedded mode keeps.")
    # Unprefixed names follow the conventions of compose files and PaaS platforms.
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    broker_url: str | None = Field(default=None, validation_alias="CELERY_BROKER_URL")
    # A folder (file:// or a plain path) or s3://bucket/prefix. LENSBOARD_ARTIFACT_ROOT is the older name.
    artifact_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("LENSBOARD_ARTIFACT_URL", "LENSBOARD_ARTIFACT_ROOT", "artifact_url"),
        description="Where every process finds the artifacts: a shared folder or an S3-compatible bucket.")
    # S3 store only: local copies of objects for callers that need a file (mmap, file downloads).
    artifact_cache_dir: Path | None = None
    artifact_cache_max_bytes: int = Field(default=20 << 30, gt=0)
    # Any S3-compatible server (MinIO, Ceph, R2); unset means AWS. The keys follow boto's names, and
    # when they are unset boto's own chain (~/.aws, instance roles) applies.
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    aws_access_key_id: SecretStr | None = Field(default=None, validation_alias="AWS_ACCESS_KEY_ID")
    aws_secret_access_key: SecretStr | None = Field(default=None, validation_alias="AWS_SECRET_ACCESS_KEY")

    # Workers of one deployment share a queue; tests give each run its own so runs never cross.
    queue: str = "lensboard"
    worker_concurrency: int = Field(default=1, ge=1, le=64)
    # Processes of an interactive-lane worker (analyses, maps): each computes with one thread.
    interactive_concurrency: int = Field(default=2, ge=1, le=64)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # API processes of `lensboard serve`, each with its own listening socket (backend/cli/api_processes.py).
    api_processes: int = Field(default=1, ge=1, le=64)
    # One log line per request; off where a proxy in front already logs them: on one process it took the
    # samples page at a million rows from 5,270 to 4,010 pages/s.
    access_log: bool = True
    secret_key: str | None = None

    # A job whose worker stopped heartbeating for this long is taken over by another worker.
    job_lease_seconds: float = Field(default=60.0, gt=0)
    heartbeat_seconds: float = Field(default=5.0, gt=0)
    # Folders an administrator's server-side dataset path may lie in, besides <data dir>/imports (always one).
    # Never the rest of the data folder (its secret key, database and artifacts), whatever is configured.
    import_roots: list[Path] = Field(default_factory=list)
    max_text_bytes: int = Field(default=100_000, gt=0)
    # Custom dataset uploads: the request body (and each data file), everything an archive unpacks to,
    # and the most an archive may expand (beyond that it is treated as a zip bomb).
    max_upload_bytes: int = Field(default=1 << 30, gt=0)
    max_uncompressed_bytes: int = Field(default=4 << 30, gt=0)
    max_compression_ratio: float = Field(default=200.0, gt=1)
    # An administrator's server-side .csv of at least this many bytes is imported by the worker in streamed
    # passes (backend.core.data.streamed_import: constant memory per row of text, COPY on PostgreSQL) rather
    # than read whole by the API; its row problems then fail the import job instead of answering 422.
    # Such a file is bounded by nothing but the disk (the upload limits above are for uploads).
    stream_import_bytes: int = Field(default=64 << 20, ge=0)
    # Every other request body (JSON): the API answers 413 beyond it. See backend/api/body_limit.py.
    max_body_bytes: int = Field(default=1 << 20, gt=0)
    torch_threads: int | None = Field(default=None, ge=1)
    # Evaluation of a trained epoch split into this many row ranges, each a job of the bulk lane that any
    # worker may take (worker/pipeline/eval_shards.py); 1 evaluates in the training process as before.
    # Worth it only with several bulk-lane workers (or hosts): on one worker the shards run one by one.
    eval_shards: int = Field(default=1, ge=1, le=64)
    # How long the training leaves a shard nobody has started to the other workers before it takes it itself.
    # 0: at once (it takes them last first, the workers first first, so they meet only at the end). More
    # when the other workers are slow to start a task (a cold process importing torch) and the training
    # would otherwise have done every shard before they begin.
    eval_shard_grace_seconds: float = Field(default=0.0, ge=0.0, le=3600.0)
    # Maps of more samples than this fit UMAP on a seeded sample of this many (stratified by label and loss)
    # and place the others with the fitted model (worker.pipeline.projection.project); at or below it every
    # sample is fitted. 100k keeps a map's fit near its 50k-IMDB cost at any size.
    map_fit_sample: int = Field(default=100_000, ge=1_000)
    # Shared by the workers of one host, so that each process claims a GPU of its own.
    gpu_lock_dir: Path | None = None
    frontend_dist: Path = Path("frontend/dist")
    # Requests a minute per client (and, once there are accounts, per user) to the endpoints that start
    # heavy work, with bursts up to the same number; 0 turns a limit off. See backend/api/limits.py.
    rate_limit_analyze_per_minute: int = Field(default=240, ge=0)
    rate_limit_train_per_minute: int = Field(default=30, ge=0)
    rate_limit_compute_per_minute: int = Field(default=60, ge=0)
    # Sign-in attempts (password or link) per client address, and failed password sign-ins per username
    # from any address: slows password guessing from one address and from many.
    rate_limit_login_per_minute: int = Field(default=20, ge=0)
    rate_limit_login_per_username_per_minute: int = Field(default=10, ge=0)
    # Heavy downloads (checkpoints, results, exports) one user may have in flight at once; 0: no limit.
    max_downloads_per_user: int = Field(default=2, ge=0)
    # Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto `lensboard serve` believes
    # (a JSON list of IPs or CIDRs, or "*"); empty: none, the client is the connection's peer.
    trusted_proxies: list[str] = Field(default_factory=list)
    # How long the samples table's fast path may replay an access decision of its route (seconds; 0: off).
    # See backend/api/samples_fast_path.py.
    access_cache_seconds: float = Field(default=1.0, ge=0, le=60)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("sqlite", "postgresql")):
            raise ValueError("DATABASE_URL must be a sqlite:// or postgresql+psycopg:// URL")
        if v is not None and v.startswith("postgresql://"):
            # psycopg 3 is the only PostgreSQL driver we ship.
            v = "postgresql+psycopg://" + v.removeprefix("postgresql://")
        return v

    @field_validator("broker_url")
    @classmethod
    def _known_broker(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("redis://", "rediss://", "sqla+", "amqp://", "memory://")):
            raise ValueError("CELERY_BROKER_URL must be redis://, amqp:// or sqla+<sqlalchemy url>")
        return v

    @field_validator("artifact_url")
    @classmethod
    def _known_artifact_url(cls, v: str | None) -> str | None:
        if v is None or "://" not in v:
            return v
        scheme, _, rest = v.partition("://")
        if scheme == "file":
            return rest
        if scheme == "s3":
            bucket, _, prefix = rest.partition("/")
            parts = [p for p in prefix.split("/") if p]
            if not bucket:
                raise ValueError("LENSBOARD_ARTIFACT_URL must name a bucket: s3://bucket[/prefix]")
            if ".." in parts:
                raise ValueError("LENSBOARD_ARTIFACT_URL's prefix must not contain '..'")
            return "s3://" + "/".join([bucket, *parts])
        raise ValueError("LENSBOARD_ARTIFACT_URL must be a folder, file://folder or s3://bucket[/prefix]")

    @model_validator(mode="after")
    def _resolve_paths(self) -> Settings:
        self.data_dir = self.data_dir.expanduser().resolve()
        return self

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'lensboard.sqlite'}"

    @property
    def celery_broker(self) -> str:
        # kombu's SQLAlchemy transport gives embedded mode a real broker without a server.
        return self.broker_url or f"sqla+sqlite:///{self.data_dir / 'broker.sqlite'}"

    @property
    def artifacts(self) -> str:
        return self.artifact_url or str(self.data_dir / "artifacts")

    @property
    def artifact_cache(self) -> Path:
        return (self.artifact_cache_dir or self.data_dir / "artifact-cache").expanduser().resolve()

    @property
    def uploads_dir(self) -> Path:
        """Where the API keeps an upload while it checks it (removed once the source is stored)."""
        return self.data_dir / "uploads"

    @property
    def numba_cache_dir(self) -> Path:
        """Where workers keep numba's compiled UMAP/pynndescent kernels between processes."""
        return self.data_dir / "numba-cache"

    @property
    def gpu_locks(self) -> Path:
        return (self.gpu_lock_dir or self.data_dir / "gpu-locks").expanduser().resolve()

    @property
    def embedded(self) -> bool:
        return self.database_url is None and self.broker_url is None

    @property
    def imports_dir(self) -> Path:
        """The default import root, made at start: the one part of the data folder a dataset path may name."""
        return self.data_dir / "imports"

    @property
    def allowed_import_roots(self) -> list[Path]:
        roots = [self.imports_dir, *self.import_roots]
        return list(dict.fromkeys(Path(r).expanduser().resolve() for r in roots))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    s = Settings()
    s.data_dir.mkdir(parents=True, exist_ok=True)
    s.imports_dir.mkdir(exist_ok=True)
    return s
