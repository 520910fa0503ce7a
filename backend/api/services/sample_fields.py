"""What a version's samples can be plotted by: the built-in per-sample numbers and categories, then the
dataset's own metadata columns (numbers as numbers, text as categories)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.schemas.fields import FieldOut
from backend.core.db.models import Dataset, ModelVersion, Sample
from backend.core.sample_metadata import metadata_kinds, read_metadata
from backend.core.vocabulary import SPLITS

META_PREFIX = "meta:"


def version_fields(session: Session, version: ModelVersion) -> list[FieldOut]:
    dataset = session.get(Dataset, version.dataset_id)
    assert dataset is not None
    classes = list(dataset.classes)
    second = classes[1] if len(classes) > 1 else "class 1"
    fields = [
        FieldOut(name="loss", title="Loss", kind="number", source="result"),
        FieldOut(name="p_positive", title=f"p({second})", kind="number", source="result"),
        FieldOut(name="p_label", title="p(label)", kind="number", source="result"),
    ]
    # Reviewer scores come with IMDB and Stanford-layout files named <id>_<score>.txt; CSV and JSONL have none.
    if session.scalar(select(Sample.id).where(Sample.dataset_id == dataset.id, Sample.score.is_not(None)).limit(1)):
        fields.append(FieldOut(name="score", title="User score", kind="number", source="sample"))
    fields += [
        FieldOut(name="token_count", title="Length (tokens)", kind="number", source="sample"),
        FieldOut(name="word_count", title="Length (words)", kind="number", source="sample"),
        FieldOut(name="label", title="Label", kind="category", source="sample", categories=classes,
                 distinct=len(classes)),
        FieldOut(name="prediction", title="Prediction", kind="category", source="result", categories=classes,
                 distinct=len(classes)),
        FieldOut(name="correct", title="Correct / incorrect", kind="category", source="result",
                 categories=["correct", "incorrect"], distinct=2),
        FieldOut(name="split", title="Split", kind="category", source="sample", categories=list(SPLITS), distinct=3),
    ]
    numeric, categorical = metadata_kinds(dataset.metadata_columns)
    # Only the text columns need their values read; a number column's name and kind are in the dataset.
    read = read_metadata(session, dataset.id, [], categorical, dataset.num_samples) if categorical else None
    for name in dataset.metadata_columns:
        if name in numeric:
            fields.append(FieldOut(name=META_PREFIX + name, title=name, kind="number", source="meta"))
        elif read is not None:
            column = read.categorical[name]
            fields.append(FieldOut(name=META_PREFIX + name, title=name, kind="category", source="meta",
                                   categories=column.values, distinct=column.distinct))
    return fields
