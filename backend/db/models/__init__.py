"""All ORM models, one module per domain. Importing this package registers every table."""

from backend.db.models.analyses import Analysis
from backend.db.models.dataset import Dataset, Sample
from backend.db.models.job import ACTIVE_STATES, JOB_STATES, Job
from backend.db.models.metrics import BatchMetric, EpochMetric, SampleResult
from backend.db.models.project import Project
from backend.db.models.version import Checkpoint, ModelVersion

__all__ = [
    "ACTIVE_STATES",
    "JOB_STATES",
    "Analysis",
    "BatchMetric",
    "Checkpoint",
    "Dataset",
    "EpochMetric",
    "Job",
    "ModelVersion",
    "Project",
    "Sample",
    "SampleResult",
]
