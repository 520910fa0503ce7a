"""POST /api/projects/{id}/datasets/imdb: bad requests are answered 422 at once, before any job exists."""

from __future__ import annotations

import gzip
from pathlib import Path

from fastapi.testclient import TestClient


def post(client: TestClient, project_id: int, **body: object) -> tuple[int, str]:
    r = client.post(f"/api/projects/{project_id}/datasets/imdb", json=body)
    return r.status_code, r.json().get("detail", "")


def test_bad_import_requests_are_422(client: TestClient, project_id: int, data_dir: Path) -> None:
    imports = data_dir / "imports"  # the import root every server has
    notes = imports / "notes.txt"
    notes.write_text("not an archive")
    plain_gz = imports / "plain.gz"
    plain_gz.write_bytes(gzip.compress(b"x"))
    empty = imports / "empty"
    empty.mkdir()

    status, detail = post(client, project_id, path=str(imports / "missing.tar.gz"))
    assert status == 422 and "does not exist" in detail
    status, detail = post(client, project_id, path=str(notes))
    assert status == 422 and "notes.txt is not a .tar.gz archive" in detail
    status, detail = post(client, project_id, path=str(empty))
    assert status == 422 and "has no aclImdb" in detail
    status, detail = post(client, project_id, path="/etc/passwd")
    assert status == 422 and "outside the allowed import roots" in detail
    status, detail = post(client, project_id, path=f"{imports}/x\0y.tar.gz")
    assert status == 422 and "NUL character" in detail
    status, detail = post(client, project_id, path=str(plain_gz), val_size=2.5)
    assert status == 422 and "val_size" in detail
    status, detail = post(client, project_id, path=str(plain_gz), tokenizer={"vocab_size": 5})
    assert status == 422 and "vocab_size" in detail
    assert post(client, 999, path=str(notes))[0] == 404
    # Nothing was created by any of these.
    assert client.get(f"/api/projects/{project_id}/datasets").json() == []
    assert client.get("/api/jobs").json() == []
    assert client.get("/api/datasets/12345").status_code == 404
