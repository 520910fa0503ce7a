"""Small synthetic datasets written straight to the database (no review text, no import job).

Keys follow Stanford's layout ("train/pos/12_8"), so exports can be checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from backend.core.db.models import Dataset, Project, Sample


@dataclass(frozen=True)
class SyntheticDataset:
    project_id: int
    dataset_id: int
    sample_ids: dict[str, list[int]]  # split -> ids in index order
    labels: dict[int, int]


def make_project_dataset(factory: sessionmaker[Session], name: str = "synthetic",
                         per_split: dict[str, int] | None = None) -> SyntheticDataset:
    """A project with one ready dataset: `per_split` samples per split, labels alternating 0/1."""
    per_split = per_split or {"train": 12, "val": 4, "test": 6}
    with factory() as s:
        project = Project(name=name, description="", ui_state={})
        s.add(project)
        s.flush()
        dataset = Dataset(project_id=project.id, name="synthetic", source="", kind="imdb", status="ready",
                          classes=["neg", "pos"], config={}, stats={}, num_samples=sum(per_split.values()))
        s.add(dataset)
        s.flush()
        index = 0
        ids: dict[str, list[int]] = {}
        labels: dict[int, int] = {}
        for split, n in per_split.items():
            for i in range(n):
                label = i % 2
                folder = "test" if split == "test" else "train"
                score = 8 if label else 2
                key = f"{folder}/{['neg', 'pos'][label]}/{index}_{score}"
                sample = Sample(dataset_id=dataset.id, index=index, key=key,
                                split=split, label=label, text=f"synthetic review {index}<br />line two é",
                                score=score, movie_id=None, word_count=4, token_count=5, oov_count=0,
                                truncated=False, meta={})
                s.add(sample)
                s.flush()
                ids.setdefault(split, []).append(sample.id)
                labels[sample.id] = label
                index += 1
        s.commit()
        return SyntheticDataset(project.id, dataset.id, ids, labels)
