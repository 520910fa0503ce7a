"""All ORM models, one module per domain. Importing this package registers every table."""

from backend.core.db.models.accounts import CREDENTIAL_KINDS, ROLES, Credential, ProjectMember, User
from backend.core.db.models.analyses import Analysis
from backend.core.db.models.dataset import Dataset, Sample
from backend.core.db.models.flags import Flag, FlagEvent, SuspectRanking, SuspectScore
from backend.core.db.models.job import Job, WorkerBeat
from backend.core.db.models.maps import MapCluster, MapConfig, MapInsight, PopulationMap
from backend.core.db.models.metrics import BatchMetric, EpochMetric, SampleResult
from backend.core.db.models.project import Project
from backend.core.db.models.sweep import Sweep
from backend.core.db.models.version import Checkpoint, ModelVersion

__all__ = [
    "CREDENTIAL_KINDS",
    "ROLES",
    "Analysis",
    "BatchMetric",
    "Checkpoint",
    "Credential",
    "Dataset",
    "EpochMetric",
    "Flag",
    "FlagEvent",
    "Job",
    "MapCluster",
    "MapConfig",
    "MapInsight",
    "ModelVersion",
    "PopulationMap",
    "Project",
    "ProjectMember",
    "Sample",
    "SampleResult",
    "SuspectRanking",
    "SuspectScore",
    "Sweep",
    "User",
    "WorkerBeat",
]
