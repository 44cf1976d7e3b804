"""Questions as they were shown, each wording stored once: what a response keeps instead of a whole snapshot.

A snapshot (what one technician saw: a QuestionSnapshot, or whatever JSON an older app stored) is its question's
*content* plus the *order* its shuffled lists were shown in. The content, with those lists sorted, is stored once in
`question_versions` and found by the sha256 of its canonical JSON, so every shuffle of one wording shares a row and an
edited question gets a new one. A response, and each question an attempt drew, keeps only the version's id and the
order: for each shuffled list, the place in the sorted list of each item as it was shown, written as digits ("2031";
lists apart by "/", "/102/210" for a matching question; commas between places in a list of more than ten). `rebuild`
gives the very snapshot back. The id and the digits rather than the 64-character hash and JSON lists because every
one of a million responses carries them: the goal is at most 250 bytes of database per response.

Not the bank's `content_hash`, a short fingerprint of a question's YAML that item statistics group answers by: the
version hash covers exactly what was stored (ids, key, explanation and all), so nothing shown is lost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from modules.store.schema import dumps, loads, question_versions

# The lists that are shuffled for display: choices or ordering steps, and matching's left and right columns.
SHUFFLED = ("options", "lefts", "rights")
# Two PostgreSQL writers may add the same new version at once: the second one's row is skipped, then both read its id.
_INSERT_NEW = {"sqlite": sqlite.insert(question_versions).on_conflict_do_nothing(index_elements=["hash"]),
               "postgresql": postgresql.insert(question_versions).on_conflict_do_nothing(index_elements=["hash"])}
# Built once: a version is looked up on every answer saved (see bench/bench_store_writes.py).
_IDS = select(question_versions.c.hash, question_versions.c.id).where(
    question_versions.c.hash.in_(bindparam("keys", expanding=True)))
_CONTENTS = select(question_versions.c.id, question_versions.c.content_json).where(
    question_versions.c.id.in_(bindparam("keys", expanding=True)))
_PAGE = 500  # keys per IN (...) list


@dataclass(frozen=True)
class Version:
    """One snapshot split: its content (stored once, found by `hash`) and the order it was shown in."""

    hash: str
    content_json: str
    order: str  # as `order_text` writes it


def order_text(places: list[list[int]]) -> str:
    """Per SHUFFLED list, the places as digits (commas between them past ten items); lists apart by "/", trailing
    empty ones left out."""
    while places and not places[-1]:
        places = places[:-1]
    return "/".join(("," if len(shown) > 10 else "").join(map(str, shown)) for shown in places)


def parse_order(text: str) -> list[list[int]]:
    """The places `order_text` wrote, list by list."""
    if not text:
        return []
    # Up to ten items a list's places are 0-9, one digit each; a longer list always has commas.
    return [[int(place) for place in (part.split(",") if "," in part else part)] for part in text.split("/")]


def split(snapshot: Any) -> Version:
    """The version of a snapshot and the order it was shown in; `rebuild` turns them back into the snapshot."""
    content = snapshot
    places: list[list[int]] = []
    if isinstance(snapshot, dict):
        content = dict(snapshot)
        for field in SHUFFLED:
            shown = snapshot.get(field)
            if not isinstance(shown, list | tuple):
                places.append([])
                continue
            # Sorted by canonical JSON text: one rule for any item, so any two shuffles give the same content.
            texts = [dumps(item) for item in shown]
            by_text = sorted(range(len(shown)), key=texts.__getitem__)
            content[field] = [shown[i] for i in by_text]
            place = [0] * len(shown)
            for sorted_index, shown_index in enumerate(by_text):
                place[shown_index] = sorted_index
            places.append(place)
    content_json = dumps(content)
    return Version(hashlib.sha256(content_json.encode("utf-8")).hexdigest(), content_json, order_text(places))


def rebuild(content_json: str, order: str) -> Any:
    """The snapshot exactly as shown: the stored content with each shuffled list put back in its shown order."""
    snapshot = loads(content_json)
    for field, place in zip(SHUFFLED, parse_order(order)):
        if place:
            in_sorted_order = snapshot[field]
            snapshot[field] = [in_sorted_order[i] for i in place]
    return snapshot


# ---- the database --------------------------------------------------------------------------------------------


def stored_ids(conn: Connection, versions: Iterable[Version]) -> dict[str, int]:
    """The id of each version by hash, storing those not stored yet, inside the caller's write transaction."""
    wanted = {version.hash: version.content_json for version in versions}
    found = _ids(conn, wanted)
    missing = sorted(set(wanted) - set(found))  # in hash order: PostgreSQL writers never wait on each other crosswise
    if missing:
        conn.execute(_INSERT_NEW[conn.dialect.name], [{"hash": key, "content_json": wanted[key]} for key in missing])
        found.update(_ids(conn, missing))
    return found


def _ids(conn: Connection, hashes: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(hashes))
    return {key: int(version_id) for start in range(0, len(wanted), _PAGE)
            for key, version_id in conn.execute(_IDS, {"keys": wanted[start:start + _PAGE]})}


def contents(conn: Connection, ids: Iterable[int]) -> dict[int, str]:
    """The stored content of each version named, by id."""
    wanted = sorted(set(ids))
    return {int(version_id): content for start in range(0, len(wanted), _PAGE)
            for version_id, content in conn.execute(_CONTENTS, {"keys": wanted[start:start + _PAGE]})}


# ---- an attempt's drawn questions: [question id, version id, order] each -----------------------------------------


def drawn_json(snapshots: list[Any], versions: list[Version], ids: dict[str, int]) -> str:
    """The drawn questions as `attempts.questions_json` keeps them (the question id only to count draws by)."""
    return dumps([[snapshot.get("question_id") if isinstance(snapshot, dict) else None, ids[version.hash],
                   version.order] for snapshot, version in zip(snapshots, versions)])


def drawn_question_ids(questions_json: str | None) -> list[Any]:
    """The question id of each drawn question, in the order drawn (None where its snapshot had none)."""
    return [question_id for question_id, _version_id, _order in loads(questions_json) or []]


def drawn_versions(questions_json: str | None) -> list[tuple[int, str]]:
    """The version id and shown order of each drawn question, in the order drawn."""
    return [(version_id, order) for _question_id, version_id, order in loads(questions_json) or []]


def drawn_version_ids(questions_json: str | None) -> list[int]:
    return [version_id for _question_id, version_id, _order in loads(questions_json) or []]


def rebuild_drawn(questions_json: str | None, stored: dict[int, str]) -> list[Any] | None:
    """The drawn questions as the snapshots shown, from `questions_json` and their versions' contents."""
    entries = loads(questions_json)
    if entries is None:
        return None
    return [rebuild(stored[version_id], order) for _question_id, version_id, order in entries]
