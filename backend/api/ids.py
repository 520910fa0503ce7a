"""How an id is spelled, wherever a request carries one: one spelling per id, so that the access guard and
the code that acts on an id can never read the same text as two different rows.

In a path or a query string an id is `^[1-9][0-9]*$` within int64: `12`, never `012`, `+12`, ` 12`, `12.0`,
`1.2e1`, `0xc` or `１２` (a full-width digit). In a JSON body it is a JSON integer (not `12.0`, not `"12"`).
Anything else is not an id (422), whatever a lenient number parser would make of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field, Strict, WithJsonSchema

MAX_ID = 2**63 - 1  # the database's BIGINT (and SQLite's INTEGER)
_DIGITS = re.compile(r"[1-9][0-9]*")  # [0-9] is ASCII only, unlike \d
_ID_NAME = re.compile(r"(^|_)ids?$")

# Path and query ids travel as the raw text (parsed by parse_id, never by a lenient int parser), but they
# are integers to the schema and to the generated client.
ID_JSON_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
RawId = Annotated[str, WithJsonSchema(ID_JSON_SCHEMA)]


def parse_id(raw: str) -> int | None:
    """The id `raw` spells, or None when it spells none."""
    if len(raw) > 19 or _DIGITS.fullmatch(raw) is None:
        return None
    value = int(raw)
    return value if value <= MAX_ID else None


def not_an_id(name: str) -> str:
    return f"{name}: not an id (ids are positive whole numbers in plain digits, such as 12)"


@dataclass(frozen=True)
class IdOf:
    """Marks a body field as the id of a `kind` of row (see backend/api/guard.py), which the guard resolves
    within the project the route was authorized for before the route runs."""

    kind: str


# Body fields that hold ids: strict JSON integers in range, marked with the kind the guard resolves them as.
DatasetId = Annotated[int, Strict(), Field(ge=1, le=MAX_ID), IdOf("dataset")]
SampleId = Annotated[int, Strict(), Field(ge=1, le=MAX_ID), IdOf("sample")]


def is_id_name(name: str) -> bool:
    """Whether a parameter or field name says it holds ids (`version_id`, `sample_ids`, `id`)."""
    return _ID_NAME.search(name) is not None
