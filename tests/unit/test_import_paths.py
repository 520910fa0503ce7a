"""Which server-side paths an import may read: `<data dir>/imports` and LENSBOARD_IMPORT_ROOTS, links resolved,
never the rest of the data folder (its secret key, database, artifacts) nor the working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.core.data.import_paths import ImportPathRefused, resolve_import_path
from backend.core.settings import Settings


def settings(data_dir: Path, roots: list[Path] | None = None) -> Settings:
    s = Settings(_env_file=None, data_dir=data_dir, import_roots=roots or [])  # type: ignore[call-arg]
    s.imports_dir.mkdir(parents=True, exist_ok=True)
    return s


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "site" / ".lensboard"
    d.mkdir(parents=True)
    (d / "secret_key").write_text("s3cret\n")
    return d


def refused(raw: str, s: Settings, why: str = "outside the allowed import roots") -> str:
    with pytest.raises(ImportPathRefused) as e:
        resolve_import_path(raw, s)
    assert why in str(e.value)
    return str(e.value)


def test_the_default_root_is_the_imports_folder_alone(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = settings(data_dir)
    assert s.allowed_import_roots == [(data_dir / "imports").resolve()]
    ok = data_dir / "imports" / "train.csv"
    ok.write_text("text,label\n")
    assert resolve_import_path(str(ok), s) == ok.resolve()
    refused(str(data_dir / "secret_key"), s)
    refused(str(data_dir), s)
    # The working directory (a checkout, with its .git and .env) is no root any more.
    monkeypatch.chdir(data_dir.parent)
    (data_dir.parent / "README.md").write_text("# hi\n")
    refused("README.md", s)
    refused(".lensboard/secret_key", s)
    refused(str(data_dir / "imports" / "missing.csv"), s, "does not exist")
    refused("a\0b", s, "NUL")


def test_a_configured_root_never_opens_the_rest_of_the_data_folder(data_dir: Path) -> None:
    site = data_dir.parent
    s = settings(data_dir, [site])
    assert s.allowed_import_roots == [(data_dir / "imports").resolve(), site.resolve()]
    (site / "news.csv").write_text("text,label\n")
    assert resolve_import_path(str(site / "news.csv"), s) == (site / "news.csv").resolve()
    raw = str(data_dir / "secret_key")
    message = refused(raw, s)
    assert str(site) not in message.replace(raw, "")  # it quotes what was sent, never the server's roots
    refused(str(data_dir / "imports" / ".." / "secret_key"), s)
    refused(str(data_dir / "artifacts"), s)


def test_links_are_resolved_before_the_check(data_dir: Path, tmp_path: Path) -> None:
    s = settings(data_dir)
    imports = data_dir / "imports"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "train.csv").write_text("text,label\n")

    (imports / "key.csv").symlink_to(data_dir / "secret_key")
    refused(str(imports / "key.csv"), s)
    (imports / "away").symlink_to(outside)
    refused(str(imports / "away" / "train.csv"), s)

    # A folder inside the root holding a link out of it: the readers follow links, so it is refused.
    folder = imports / "news"
    folder.mkdir()
    (folder / "valid.csv").write_text("text,label\n")
    (folder / "train.csv").symlink_to(outside / "train.csv")
    refused(str(folder), s, "holds a link that leads outside")
    # ...also when the link hides one level down, behind a link to a folder that is itself inside the root.
    (folder / "train.csv").unlink()
    inner = imports / "inner"
    inner.mkdir()
    (inner / "test.csv").symlink_to(data_dir / "secret_key")
    (folder / "more").symlink_to(inner)
    refused(str(folder), s, "holds a link that leads outside")
    (inner / "test.csv").unlink()
    (inner / "test.csv").write_text("text,label\n")
    (inner / "loop").symlink_to(folder)  # a cycle is walked once
    assert resolve_import_path(str(folder), s) == folder.resolve()
