"""Flags through the API, on SQLite and PostgreSQL: states, ETags, history, undo, bulk, exports."""

from __future__ import annotations

import csv
import io
import json
import tarfile

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.support.accounts import ADMIN, add_member, bearer, user_token
from tests.support.flag_data import SyntheticDataset, make_project_dataset


def _setup(session_factory: sessionmaker[Session]) -> tuple[SyntheticDataset, SyntheticDataset]:
    return make_project_dataset(session_factory, "flags-a"), make_project_dataset(session_factory, "flags-b")


def test_state_changes_history_and_undo(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    a, _ = _setup(session_factory)
    pid, sid = a.project_id, a.sample_ids["train"][0]
    url = f"/api/projects/{pid}/flags/{sid}"
    assert client.get(url).status_code == 404
    # The lookup answers "none" for an unflagged sample, so a dashboard asks without a 404 in its console.
    r = client.get(f"{url}/lookup")
    assert r.status_code == 200 and r.json() == {"flag": None}

    r = client.put(url, json={"state": "suspected", "note": "odd", "source": "ranking"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "suspected" and r.json()["revision"] == 1 and r.json()["split"] == "train"
    etag = r.headers["ETag"]
    assert client.get(f"{url}/lookup").json()["flag"]["state"] == "suspected"

    r = client.patch(url, json={"state": "confirmed", "corrected_label": 1},
                     headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["corrected_label"], r.json()["note"]) == ("confirmed", 1, "odd")
    # A stale ETag is a conflict; without If-Match the later write wins, and history keeps both.
    stale = client.patch(url, json={"note": "late"}, headers={"If-Match": etag})
    assert stale.status_code == 409 and stale.json()["current_etag"] == r.headers["ETag"]
    r = client.patch(url, json={"note": "last write"})
    assert r.json()["note"] == "last write" and r.json()["revision"] == 3

    history = client.get(f"{url}/history").json()
    assert [e["action"] for e in history] == ["create", "update", "update"]
    assert history[1]["before"]["state"] == "suspected" and history[1]["after"]["state"] == "confirmed"
    # Changes are recorded as the signed-in user (the `client` fixture's administrator).
    assert [e["actor"] for e in history] == [ADMIN] * 3

    # Undo walks back one change at a time, down to "not flagged".
    r = client.post(f"{url}/undo")
    assert r.status_code == 200 and r.json()["flags"][0]["note"] == "odd"
    assert client.get(url).json()["state"] == "confirmed"
    client.post(f"{url}/undo")
    assert client.get(url).json()["state"] == "suspected"
    client.post(f"{url}/undo")
    assert client.get(url).status_code == 404
    assert client.post(f"{url}/undo").status_code == 409
    history = client.get(f"{url}/history").json()
    assert [e["action"] for e in history].count("undo") == 3
    assert all(e["undone_by"] is not None for e in history if e["action"] != "undo")

    # Unflag is a change too, and can be undone.
    client.put(url, json={"state": "dismissed"})
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    client.post(f"{url}/undo")
    assert client.get(url).json()["state"] == "dismissed"


def test_each_change_records_the_user_who_made_it(client: TestClient,
                                                  session_factory: sessionmaker[Session]) -> None:
    a, _ = _setup(session_factory)
    pid, sid = a.project_id, a.sample_ids["train"][0]
    ann, bob = (bearer(user_token(session_factory, name)) for name in ("ann", "bob"))
    for name in ("ann", "bob"):
        add_member(session_factory, pid, name, "editor")
    url = f"/api/projects/{pid}/flags/{sid}"

    # A name in the body is not who made the change: the author comes from the credential alone.
    assert client.put(url, json={"state": "suspected", "actor": "mallory"}, headers=ann).status_code == 200
    assert client.patch(url, json={"state": "confirmed"}, headers=bob).status_code == 200
    assert client.patch(url, json={"note": "checked"}, headers=ann).status_code == 200
    assert client.post(f"{url}/undo", headers=bob).status_code == 200
    assert client.delete(url, headers=ann).status_code == 204
    history = client.get(f"{url}/history").json()
    assert [(e["action"], e["actor"]) for e in history] == [
        ("create", "ann"), ("update", "bob"), ("update", "ann"), ("undo", "bob"), ("delete", "ann")]

    ids = a.sample_ids["test"][:3]
    r = client.post(f"/api/projects/{pid}/flags/bulk", json={"sample_ids": ids, "state": "suspected"}, headers=bob)
    assert r.status_code == 200, r.text
    assert client.post(f"/api/projects/{pid}/flags/bulk/{r.json()['batch_id']}/undo", headers=ann).status_code == 200
    for i in ids:
        events = client.get(f"/api/projects/{pid}/flags/{i}/history").json()
        assert [(e["action"], e["actor"]) for e in events] == [("create", "bob"), ("undo", "ann")]


def test_bad_input(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    a, b = _setup(session_factory)
    other = b.sample_ids["train"][0]
    r = client.put(f"/api/projects/{a.project_id}/flags/{other}", json={"state": "suspected"})
    assert r.status_code == 404 and "not found" in r.json()["detail"]
    assert client.put(f"/api/projects/{a.project_id}/flags/999999", json={}).status_code == 404
    assert client.put(f"/api/projects/999/flags/{other}", json={}).status_code == 404
    sid = a.sample_ids["train"][1]
    r = client.put(f"/api/projects/{a.project_id}/flags/{sid}",
                   json={"state": "confirmed", "corrected_label": 2})
    assert r.status_code == 422 and "class" in r.json()["detail"]
    r = client.put(f"/api/projects/{a.project_id}/flags/{sid}", json={"state": "wrong"})
    assert r.status_code == 422
    r = client.post(f"/api/projects/{a.project_id}/flags/bulk", json={"sample_ids": [sid, other]})
    assert r.status_code == 404 and str(other) in r.json()["detail"]
    # Nothing was half-written by the rejected requests.
    assert client.get(f"/api/projects/{a.project_id}/flags").json()["total"] == 0


def test_bulk_and_bulk_undo(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    a, _ = _setup(session_factory)
    pid = a.project_id
    ids = a.sample_ids["train"][:5] + a.sample_ids["test"][:2]
    client.put(f"/api/projects/{pid}/flags/{ids[0]}", json={"state": "dismissed", "note": "kept"})
    r = client.post(f"/api/projects/{pid}/flags/bulk",
                    json={"sample_ids": ids, "state": "suspected", "source": "ranking"})
    assert r.status_code == 200, r.text
    batch = r.json()["batch_id"]
    assert r.json()["changed"] == len(ids)
    listed = client.get(f"/api/projects/{pid}/flags", params={"source": "ranking", "split": "test"}).json()
    assert {f["sample_id"] for f in listed["items"]} == set(ids[5:])
    assert client.get(f"/api/projects/{pid}/flags", params={"state": "suspected"}).json()["total"] == 7

    r = client.post(f"/api/projects/{pid}/flags/bulk/{batch}/undo")
    assert r.status_code == 200, r.text
    assert len(r.json()["reverted_event_ids"]) == 7
    flags = client.get(f"/api/projects/{pid}/flags").json()["items"]
    assert [(f["sample_id"], f["state"], f["note"]) for f in flags] == [(ids[0], "dismissed", "kept")]
    assert client.post(f"/api/projects/{pid}/flags/bulk/{batch}/undo").status_code == 404

    # A bulk operation whose flags changed afterwards can't be undone wholesale.
    r = client.post(f"/api/projects/{pid}/flags/bulk", json={"sample_ids": ids[1:3], "state": "confirmed"})
    batch = r.json()["batch_id"]
    client.patch(f"/api/projects/{pid}/flags/{ids[1]}", json={"note": "later"})
    assert client.post(f"/api/projects/{pid}/flags/bulk/{batch}/undo").status_code == 409
    r = client.post(f"/api/projects/{pid}/flags/bulk", json={"action": "unflag", "sample_ids": ids[1:3]})
    assert r.json()["changed"] == 2
    assert client.get(f"/api/projects/{pid}/flags").json()["total"] == 1


def test_exports_round_trip_and_survive_a_restart(client: TestClient,
                                                  session_factory: sessionmaker[Session]) -> None:
    a, _ = _setup(session_factory)
    pid = a.project_id
    train, val, test = a.sample_ids["train"], a.sample_ids["val"], a.sample_ids["test"]
    relabelled, removed, doubted = train[0], test[1], train[2]
    client.put(f"/api/projects/{pid}/flags/{relabelled}", json={"state": "confirmed", "corrected_label": 1,
                                                                "note": 'comma, "quote"'})
    client.put(f"/api/projects/{pid}/flags/{removed}", json={"state": "confirmed"})
    client.put(f"/api/projects/{pid}/flags/{doubted}", json={"state": "suspected", "corrected_label": 1})

    # A fresh app on a fresh engine (an API restart) exports every flag.
    from backend.api.app import create_app
    from backend.core.db.session import make_engine, make_session_factory

    engine = make_engine(str(session_factory.kw["bind"].url.render_as_string(hide_password=False)))
    signed_in = {"Authorization": client.headers["Authorization"]}  # the same token, kept in the database
    with TestClient(create_app(make_session_factory(engine)), headers=signed_in) as restarted:
        r = restarted.get(f"/api/projects/{pid}/flags/export", params={"format": "csv"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert {int(x["sample_id"]): x["state"] for x in rows} == {
            relabelled: "confirmed", removed: "confirmed", doubted: "suspected"}
        assert next(x for x in rows if int(x["sample_id"]) == relabelled)["note"] == 'comma, "quote"'
        r = restarted.get(f"/api/projects/{pid}/flags/export", params={"format": "jsonl"})
        lines = r.text.splitlines()
        assert sorted(json.loads(x)["sample_id"] for x in lines) == sorted([relabelled, removed, doubted])

        r = restarted.get(f"/api/projects/{pid}/cleaned-dataset", params={"format": "tar.gz"})
        assert r.status_code == 200
    engine.dispose()
    with tarfile.open(fileobj=io.BytesIO(r.content), mode="r:gz") as tf:
        members = {m.name: tf.extractfile(m).read().decode() for m in tf if m.isfile()}  # type: ignore[union-attr]
    total = len(train) + len(val) + len(test)
    assert len(members) == total - 1
    # Index 0 (train, label 0, score 2) moved to pos; the removed test review is gone; val went back to train.
    assert "aclImdb/train/pos/0_2.txt" in members and "aclImdb/train/neg/0_2.txt" not in members
    assert members["aclImdb/train/pos/0_2.txt"] == "synthetic review 0<br />line two é"
    assert not any(n.startswith("aclImdb/val/") for n in members)
    assert sum(n.startswith("aclImdb/train/") for n in members) == len(train) + len(val)
    assert sum(n.startswith("aclImdb/test/") for n in members) == len(test) - 1
    # A suspected flag is not a fix: train index 2 (label 0) stays neg.
    assert "aclImdb/train/neg/2_2.txt" in members

    r = client.get(f"/api/projects/{pid}/cleaned-dataset", params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == total - 1 and removed not in {int(x["sample_id"]) for x in rows}
    fixed = next(x for x in rows if int(x["sample_id"]) == relabelled)
    assert (fixed["label"], fixed["label_name"], fixed["original_label"]) == ("1", "pos", "0")
    assert fixed["text"] == "synthetic review 0<br />line two é"


def test_cleaned_export_does_what_the_user_chose_with_suspected_flags(
        client: TestClient, session_factory: sessionmaker[Session]) -> None:
    """Suspected (unreviewed) flags: kept as labelled by default, dropped, or kept with the suggested label
    (the flag's correction, else the latest ranking's suggestion); the X-Cleaning header says which."""
    from backend.core.db.models import SuspectRanking, SuspectScore

    a, _ = _setup(session_factory)
    pid = a.project_id
    train = a.sample_ids["train"]
    corrected, suggested, bare, confirmed = train[0], train[2], train[4], train[6]  # all labelled 0 (neg)
    client.put(f"/api/projects/{pid}/flags/{corrected}", json={"state": "suspected", "corrected_label": 1})
    client.put(f"/api/projects/{pid}/flags/{suggested}", json={"state": "suspected", "source": "ranking"})
    client.put(f"/api/projects/{pid}/flags/{bare}", json={"state": "suspected"})
    client.put(f"/api/projects/{pid}/flags/{confirmed}", json={"state": "confirmed", "corrected_label": 1})
    with session_factory() as s:
        from backend.core.db.models import ModelVersion

        v = ModelVersion(project_id=pid, dataset_id=a.dataset_id, name="v", architecture="cnn",
                         hyperparameters={}, seed=1, status="trained", epochs_done=1, data_fixes={}, graph={})
        s.add(v)
        s.flush()
        ranking = SuspectRanking(version_id=v.id, epoch=1, folds=0, status="done", method={"splits": ["train"]})
        s.add(ranking)
        s.flush()
        s.add(SuspectScore(ranking_id=ranking.id, sample_id=suggested, split="train", label=0, score=0.9,
                           reason="", p_positive=0.9, loss=2.3, label_issue=True, signals={},
                           suggested_label=1, p_suggested=0.9))
        s.commit()

    def export(mode: str | None) -> tuple[dict[int, tuple[str, str]], str]:
        params = {"format": "csv"} | ({"suspected": mode} if mode else {})
        r = client.get(f"/api/projects/{pid}/cleaned-dataset", params=params)
        assert r.status_code == 200, r.text
        rows = {int(x["sample_id"]): (x["label"], x["original_label"]) for x in csv.DictReader(io.StringIO(r.text))}
        return rows, r.headers["x-cleaning"]

    total = sum(len(v) for v in a.sample_ids.values())
    kept, said = export(None)
    assert len(kept) == total and kept[corrected] == kept[suggested] == kept[bare] == ("0", "0")
    assert kept[confirmed] == ("1", "0")
    assert said == ("confirmed flags: 1 relabelled, 0 removed; suspected (unreviewed) flags: 3 kept as labelled")

    dropped, said = export("drop")
    assert len(dropped) == total - 3 and not {corrected, suggested, bare} & set(dropped)
    assert said.endswith("3 dropped")

    relabelled, said = export("relabel")
    assert len(relabelled) == total
    assert relabelled[corrected] == relabelled[suggested] == ("1", "0") and relabelled[bare] == ("0", "0")
    assert said.endswith("3 kept, 2 with the suggested label")
    assert client.get(f"/api/projects/{pid}/cleaned-dataset", params={"suspected": "maybe"}).status_code == 422
