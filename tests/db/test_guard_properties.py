"""Property-based attacks on the access guard: hypothesis makes up id spellings (random text; numbers with
signs, spaces, dots, exponents, leading zeros, underscores, other scripts' digits; percent-encodings) and
sends them where ids go (a path, a query string, a JSON body). Whatever the spelling:

- a stranger (member of no project) never gets a 2xx;
- a member gets a 2xx only for the canonical spelling of an id of their own project, as the server reads it
  after URL decoding; every other spelling is a 4xx, never a 5xx.

The samples page is asked right after the member's own canonical request, so its fast path (which replays
the route's answers from memory) is attacked too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import hypothesis
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.core.db.models import ModelVersion, Sample
from tests.support.accounts import add_member, bearer, user_token
from tests.support.versions import version_with_results

SETTINGS = hypothesis.settings(max_examples=150, derandomize=True, deadline=None, database=None,
                               suppress_health_check=list(hypothesis.HealthCheck), print_blob=False)
# Decimal digits of other scripts: int() and some number parsers read them as 0-9.
DIGIT_ZEROS = (0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0xFF10, 0x1D7CE)


@dataclass(frozen=True)
class World:
    mine: int  # a version of the member's project
    theirs: int  # a version of a project the member is not in
    project: int  # the member's project
    own_sample: int
    foreign_sample: int
    member: dict[str, str]
    stranger: dict[str, str]


def _world(factory: sessionmaker[Session]) -> World:
    mine, _ = version_with_results(factory, with_metrics=True)
    theirs, _ = version_with_results(factory, with_metrics=False)
    with factory() as s:
        version, other = s.get_one(ModelVersion, mine), s.get_one(ModelVersion, theirs)
        own_sample = s.scalars(select(Sample.id).where(Sample.dataset_id == version.dataset_id).limit(1)).one()
        foreign = s.scalars(select(Sample.id).where(Sample.dataset_id == other.dataset_id).limit(1)).one()
        project = version.project_id
    member, stranger = user_token(factory, "mia"), user_token(factory, "stan")
    add_member(factory, project, "mia", "editor")
    return World(mine, theirs, project, own_sample, foreign, bearer(member), bearer(stranger))


def _decorated(n: int) -> st.SearchStrategy[str]:
    """`n` written the ways a lenient parser still reads as a number (or as `n` itself)."""
    digits = str(n)

    def other_script(zero: int) -> str:
        return digits.translate({ord("0") + d: zero + d for d in range(10)})

    body = st.one_of(
        st.just(digits),
        st.builds(lambda z: "0" * z + digits, st.integers(1, 3)),
        st.sampled_from(DIGIT_ZEROS).map(other_script),
        st.builds(lambda i: digits[:i] + "_" + digits[i:], st.integers(1, max(1, len(digits) - 1))),
        st.just(f"{n:x}").map(lambda h: "0x" + h),
    )
    return st.builds(lambda sign, core, tail, pad_l, pad_r: pad_l + sign + core + tail + pad_r,
                     st.sampled_from(["", "", "+", "-"]), body,
                     st.sampled_from(["", "", ".0", ".", "e0", "E0", ".00", "0"]),
                     st.sampled_from(["", "", " ", "\t", "\n", "\u00a0"]),
                     st.sampled_from(["", "", " ", "\n", "\x00"]))


def _spellings(world: World) -> st.SearchStrategy[str]:
    """What the server reads where an id goes (after URL decoding)."""
    return st.one_of(
        _decorated(world.mine), _decorated(world.theirs),
        st.integers(-(2**70), 2**70).map(str),
        st.text(max_size=12),
        st.text(alphabet="0123456789+-.eE_xX ", max_size=10),
    )


def _url_text(spelled: str, encode_digits: bool) -> str:
    """`spelled` as URL text: every byte percent-encoded where needed, and the digits too when asked (the
    server decodes both to the same text)."""
    return "".join(f"%{ord(c):02X}" if encode_digits and c in "0123456789" else quote(c, safe="") for c in spelled)


def test_ids_in_a_path(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    world = _world(session_factory)
    canonical = str(world.mine)

    @hypothesis.given(spelled=_spellings(world), encode_digits=st.booleans())
    @SETTINGS
    def attack(spelled: str, encode_digits: bool) -> None:
        if "/" in spelled or not spelled or spelled in (".", ".."):
            return  # another route (or none) answers: not an id's spelling
        url = _url_text(spelled, encode_digits)
        assert unquote(url) == spelled
        for page in (f"/api/versions/{url}", f"/api/versions/{url}/samples"):
            # The member's own request first, so the fast path holds a grant and a page for it.
            assert client.get(f"/api/versions/{canonical}/samples", headers=world.member).status_code == 200
            answers = {who: client.get(page, headers=headers).status_code
                       for who, headers in (("member", world.member), ("stranger", world.stranger))}
            assert not 200 <= answers["stranger"] < 300, (page, answers)
            assert all(400 <= s < 500 or 200 <= s < 300 for s in answers.values()), (page, answers)
            assert (200 <= answers["member"] < 300) == (spelled == canonical), (page, answers)

    attack()


def test_ids_in_a_query_string(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    world = _world(session_factory)

    @hypothesis.given(spelled=_spellings(world), encode_digits=st.booleans())
    @SETTINGS
    def attack(spelled: str, encode_digits: bool) -> None:
        value = _url_text(spelled, encode_digits)
        for url in (f"/api/versions/compare?a={value}&b={world.mine}", f"/api/jobs?version_id={value}",
                    f"/api/samples/{world.own_sample}?version_id={value}"):
            answers = {who: client.get(url, headers=headers).status_code
                       for who, headers in (("member", world.member), ("stranger", world.stranger))}
            assert not 200 <= answers["stranger"] < 300, (url, answers)
            assert all(400 <= s < 500 or 200 <= s < 300 for s in answers.values()), (url, answers)
            assert (200 <= answers["member"] < 300) == (spelled == str(world.mine)), (url, answers)

    attack()


def _json_ids(world: World) -> st.SearchStrategy[Any]:
    """Values a JSON body might carry where a sample id goes."""
    near: Callable[[int], st.SearchStrategy[Any]] = lambda n: st.one_of(  # noqa: E731
        st.just(n), st.just(float(n)), st.just(str(n)), st.just(n + 0.5), st.just(-n), st.just([n]))
    return st.one_of(near(world.own_sample), near(world.foreign_sample), st.integers(-(2**70), 2**70),
                     st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8), st.booleans(), st.none())


def test_ids_in_a_body(client: TestClient, session_factory: sessionmaker[Session]) -> None:
    """Unflagging changes nothing here (nothing is flagged), so every accepted request can be repeated."""
    world = _world(session_factory)
    url = f"/api/projects/{world.project}/flags/bulk"

    @hypothesis.given(value=_json_ids(world))
    @SETTINGS
    def attack(value: Any) -> None:
        body = {"action": "unflag", "sample_ids": [value]}
        answers = {who: client.post(url, json=body, headers=headers).status_code
                   for who, headers in (("member", world.member), ("stranger", world.stranger))}
        assert not 200 <= answers["stranger"] < 300, (value, answers)
        assert all(400 <= s < 500 or 200 <= s < 300 for s in answers.values()), (value, answers)
        canonical = type(value) is int and value == world.own_sample
        assert (200 <= answers["member"] < 300) == canonical, (value, answers)

    attack()
