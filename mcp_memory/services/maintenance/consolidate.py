"""Consolidation and lifecycle rules.

`consolidate` merges near-duplicates (cosine similarity at or above a threshold, within one project,
and nothing said by the merged memory missing from the survivor: see `fact_containment`) into one
survivor that keeps every tag, removes expired memories, and applies the lifecycle rules.
Pinned memories are never merged away, expired or touched by rules. Everything it removes is a soft
delete with a version recording why, so it can be reverted. It is a dry run unless told otherwise.
On a shared Postgres only memories with the same readers merge (the team's together, a member's
private ones together), and a member's lifecycle rules reach only the memories they own.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mcp_memory.errors import InvalidInput, LimitExceeded
from mcp_memory.limits import MAX_LIFECYCLE_RULES as _MAX_RULES
from mcp_memory.limits import MERGE_SIMILARITY, clean_kind, clean_tags
from mcp_memory.services.app import App
from mcp_memory.services.maintenance.supersessions import Supersession, apply_supersession, find_supersessions
from mcp_memory.services.memories.changes import soft_delete
from mcp_memory.services.memories.fact_containment import contained_in
from mcp_memory.services.memories.store import record_version, retag, tags_by_id
from mcp_memory.storage.consolidation import (
    RuleRow,
    archive_memory,
    brought_back,
    expired_ids,
    live_rows_by_id,
    merge_candidates,
    read_rules,
    replace_rules,
    rule_matches,
)
from mcp_memory.storage.ids import format_id
from mcp_memory.storage.query import Transaction
from mcp_memory.storage.rows import fetch_memory_row, has_column
from mcp_memory.storage.vectors import all_vectors

__all__ = [
    "ConsolidateReport",
    "LifecycleRule",
    "Merge",
    "MergedMemory",
    "consolidate",
    "get_rules",
    "merge_text",
    "set_rules",
]

_MAX_GROUP = 50_000


@dataclass(frozen=True, slots=True)
class LifecycleRule:
    action: str
    older_than_days: float
    kind: str | None = None
    tag: str | None = None
    project: str | None = None
    importance_below: float | None = None

    def describe(self) -> str:
        what = (
            " ".join(
                filter(
                    None,
                    [
                        f"kind={self.kind}" if self.kind else "",
                        f"tag={self.tag}" if self.tag else "",
                        f"project={self.project}" if self.project is not None else "",
                        f"importance<{self.importance_below}" if self.importance_below is not None else "",
                    ],
                )
            )
            or "any memory"
        )
        return f"{what} older than {self.older_than_days:g} days: {self.action}"


def _rule(raw: Mapping[str, Any]) -> LifecycleRule:
    if not isinstance(raw, Mapping):
        raise InvalidInput(
            "each rule is an object such as {kind: 'scratch', older_than_days: 7, action: 'delete'}."
        )
    unknown = set(raw) - {"action", "older_than_days", "kind", "tag", "project", "importance_below"}
    if unknown:
        raise InvalidInput(f"unknown rule field(s) {sorted(unknown)}.")
    action = raw.get("action")
    if action not in ("delete", "archive"):
        raise InvalidInput("a rule's action is 'delete' (recoverable) or 'archive' (hidden from search).")
    days = raw.get("older_than_days")
    if not isinstance(days, int | float) or days < 0:
        raise InvalidInput("a rule needs older_than_days, a number of days ≥ 0.")
    below = raw.get("importance_below")
    if below is not None and (not isinstance(below, int | float) or not 0 <= below <= 1):
        raise InvalidInput("importance_below is a number from 0 to 1.")
    tag = raw.get("tag")
    return LifecycleRule(
        action=str(action),
        older_than_days=float(days),
        kind=clean_kind(raw["kind"]) if raw.get("kind") else None,
        tag=clean_tags([tag])[0] if tag else None,
        project=raw.get("project"),
        importance_below=None if below is None else float(below),
    )


async def get_rules(app: App) -> list[LifecycleRule]:
    return [
        LifecycleRule(r.action, r.older_than_days, r.kind, r.tag, r.project, r.importance_below)
        for r in await read_rules(app.db)
    ]


async def set_rules(app: App, rules: Sequence[Mapping[str, Any]]) -> list[LifecycleRule]:
    """Replace the lifecycle rules (an empty list removes them all)."""
    if len(rules) > _MAX_RULES:
        raise LimitExceeded(f"{len(rules)} rules; at most {_MAX_RULES}.")
    clean = [_rule(r) for r in rules]
    now = time.time()

    rows = [RuleRow(r.action, r.older_than_days, r.kind, r.tag, r.project, r.importance_below) for r in clean]

    async def work(conn: Transaction) -> None:
        await replace_rules(conn, rows, now)

    await app.db.write(work)
    return clean


@dataclass(frozen=True, slots=True)
class MergedMemory:
    """A memory a merge removes (recoverable from its history): its id, text and similarity to the
    survivor."""

    id: str
    content: str
    similarity: float


@dataclass(frozen=True, slots=True)
class Merge:
    """One merge: the survivor (which keeps every tag) and the memories folded into it."""

    survivor: str
    merged: tuple[str, ...]
    similarity: float  # the lowest of the merged memories' similarities to the survivor
    project: str | None
    survivor_content: str
    merged_memories: tuple[MergedMemory, ...]


def merge_text(merge: Merge, verb: str) -> str:
    """A merge for people: what survives and each text folded into it (`verb`: Would / Did)."""
    lines = [f"{verb} merge into {merge.survivor}: {merge.survivor_content}"]
    lines += [f"  {m.id} (similarity {m.similarity:.3f}): {m.content}" for m in merge.merged_memories]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class RuleAction:
    rule: str
    action: str
    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConsolidateReport:
    dry_run: bool
    similarity: float
    merges: tuple[Merge, ...]
    expired: tuple[str, ...]
    rules: tuple[RuleAction, ...]
    skipped: str | None
    #: Older memories a newer one contradicts, to retire (`supersessions`).
    supersessions: tuple[Supersession, ...] = ()


def _survivor_order(row: Any) -> tuple[float, ...]:
    """Who survives a merge: pinned first, then the more important, the more used, the older."""
    return (-row["pinned"], -row["importance"], -row["access_count"], row["created_at"])


def _readers(row: Any) -> tuple[str, ...]:
    """Which memories may merge with each other: those of one project, and on a shared Postgres with
    the same readers (the team's with the team's, one member's private ones with their own). A
    private memory folded into a team one would share its tags; a team one folded into a private
    one would vanish for the team."""
    if not has_column(row, "visibility"):
        return (str(row["project"]),)
    private = row["visibility"] == "private"
    return (str(row["project"]), str(row["visibility"]), str(row["owner"]) if private else "")


def _find_merges(
    rows: list[Any], vectors: dict[int, bytes], threshold: float
) -> list[tuple[int, list[tuple[int, float]]]]:
    """Merges per project: (survivor, [(merged row, its similarity to the survivor)]).

    A memory is merged into a survivor only when the two are at least `threshold` similar *and*
    everything it says is contained in the survivor (`fact_containment.contained_in`: no number, date,
    version, identifier, name or word of its own, the same negation and opposites). Each merged
    memory is compared with its survivor directly, never through a chain of neighbours."""
    import numpy as np

    by_project: dict[tuple[str, ...], list[Any]] = {}
    for row in rows:
        if int(row["id"]) in vectors:
            by_project.setdefault(_readers(row), []).append(row)
    merges: list[tuple[int, list[tuple[int, float]]]] = []
    for members in by_project.values():
        if len(members) < 2:
            continue
        if len(members) > _MAX_GROUP:
            raise LimitExceeded(
                f"a project has {len(members):,} memories; consolidation handles up to {_MAX_GROUP:,} per run."
            )
        members.sort(key=_survivor_order)
        matrix = np.frombuffer(b"".join(vectors[int(r["id"])] for r in members), dtype="<f4").reshape(
            len(members), -1
        )
        close: dict[int, list[tuple[int, float]]] = {}
        for start in range(0, len(members), 1024):
            block = matrix[start : start + 1024] @ matrix.T
            for a, b in zip(*np.nonzero(block >= threshold), strict=True):
                i, j = start + int(a), int(b)
                if i != j:
                    close.setdefault(i, []).append((j, float(block[a, b])))
        taken: set[int] = set()
        for i in sorted(close):  # members are in survivor order
            if i in taken:
                continue
            survivor = str(members[i]["content"])
            group = [
                (j, sim)
                for j, sim in sorted(close[i])
                if j not in taken
                and not members[j]["pinned"]
                and contained_in(str(members[j]["content"]), survivor)
            ]
            if group:
                taken.add(i)
                taken.update(j for j, _ in group)
                merges.append(
                    (int(members[i]["id"]), [(int(members[j]["id"]), round(sim, 4)) for j, sim in group])
                )
    return merges


async def _rule_matches(app: App, rule: LifecycleRule, now: float) -> list[int]:
    """The memories `rule` reaches now (never a pinned one; for 'archive', only unarchived ones)."""
    return await rule_matches(
        app.db,
        created_before=now - rule.older_than_days * 86400,
        unarchived=rule.action == "archive",
        kind=rule.kind or None,
        project=None if rule.project is None else ("" if rule.project == "global" else rule.project),
        importance_below=rule.importance_below,
        tag=rule.tag or None,
    )


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a consolidation would change: merges (survivor, [(merged, similarity)]), expired
    memories and each rule's memories (each memory in one of them at most), by row id."""

    rows: dict[int, Any]
    merges: list[tuple[int, list[tuple[int, float]]]]
    expired: list[int]
    rule_actions: list[tuple[LifecycleRule, list[int]]]
    skipped: str | None
    #: (older, newer, similarity): older memories to retire in favour of a newer one.
    supersessions: list[tuple[int, int, float]]


async def _plan(app: App, similarity: float, now: float) -> _Plan:
    rows = await merge_candidates(app.db)
    await app.ensure_model()
    skipped = None
    merges_found: list[tuple[int, list[tuple[int, float]]]] = []
    retire: list[tuple[int, int, float]] = []
    info = app.vector_info
    expired = await expired_ids(app.db, now)
    if info is not None and not app.mismatch:
        vectors = await all_vectors(app.db, info.table)
        merges_found = _find_merges(rows, vectors, similarity)
        merged = {m for _, group in merges_found for m, _ in group} | set(expired)
        retire = find_supersessions(rows, vectors, _readers, merged, await brought_back(app.db))
    else:
        skipped = "near-duplicate merging skipped: " + (app.mismatch or "no vectors yet")
    taken = {m for _, merged in merges_found for m, _ in merged} | set(expired) | {o for o, _, _ in retire}
    rule_actions: list[tuple[LifecycleRule, list[int]]] = []
    for rule in await get_rules(app):
        ids = [i for i in await _rule_matches(app, rule, now) if i not in taken]
        taken.update(ids)
        if ids:
            rule_actions.append((rule, ids))
    return _Plan({int(r["id"]): r for r in rows}, merges_found, expired, rule_actions, skipped, retire)


def _report(plan: _Plan, *, dry_run: bool, similarity: float) -> ConsolidateReport:
    by_id = plan.rows
    return ConsolidateReport(
        dry_run=dry_run,
        similarity=similarity,
        merges=tuple(
            Merge(
                survivor=format_id(s),
                merged=tuple(format_id(m) for m, _ in ms),
                similarity=min(sim for _, sim in ms),
                project=str(by_id[s]["project"]) or None,
                survivor_content=str(by_id[s]["content"]),
                merged_memories=tuple(
                    MergedMemory(format_id(m), str(by_id[m]["content"]), sim) for m, sim in ms
                ),
            )
            for s, ms in plan.merges
        ),
        expired=tuple(format_id(i) for i in plan.expired),
        rules=tuple(
            RuleAction(rule.describe(), rule.action, tuple(format_id(i) for i in ids))
            for rule, ids in plan.rule_actions
        ),
        skipped=plan.skipped,
        supersessions=tuple(
            Supersession(format_id(o), str(by_id[o]["content"]), format_id(n), str(by_id[n]["content"]), sim)
            for o, n, sim in plan.supersessions
        ),
    )


async def consolidate(
    app: App, *, dry_run: bool = True, similarity: float = MERGE_SIMILARITY
) -> ConsolidateReport:
    """Merge near-duplicates, retire older memories a newer one contradicts (`supersessions`),
    remove expired memories and apply lifecycle rules; report what (would) change and why."""
    if not 0.5 <= similarity <= 1.0:
        raise InvalidInput(
            f"similarity {similarity} is out of range; use 0.5 to 1.0 (the default is {MERGE_SIMILARITY})."
        )
    now = time.time()
    plan = await _plan(app, similarity, now)
    report = _report(plan, dry_run=dry_run, similarity=similarity)
    if dry_run:
        return report

    async def work(conn: Transaction) -> None:
        for survivor, merged_with in plan.merges:
            await _merge(conn, survivor, merged_with, now)
        for older, newer, _ in plan.supersessions:
            await apply_supersession(conn, older, newer, now)
        for rowid in plan.expired:
            row = await fetch_memory_row(conn, rowid)
            if row is None:  # forgotten by another process since the plan was made
                continue
            await soft_delete(conn, row, (await tags_by_id(conn, [rowid]))[rowid], "expired", now)
        for rule, ids in plan.rule_actions:
            for rowid in ids:
                await _apply_rule(conn, rule, rowid, now)

    await app.db.write(work)
    return report


async def _merge(conn: Transaction, survivor: int, merged_with: list[tuple[int, float]], now: float) -> None:
    """Fold the memories of `merged_with` into `survivor` (its tags gain theirs, they are soft
    deleted), as far as the plan still holds."""
    ids = [survivor, *(m for m, _ in merged_with)]
    rows = await live_rows_by_id(conn, ids)
    if survivor not in rows:  # deleted or forgotten since the plan was made
        return
    # Changed since the plan was made? Then only what still holds is merged.
    still = [
        (m, sim)
        for m, sim in merged_with
        if m in rows and contained_in(str(rows[m]["content"]), str(rows[survivor]["content"]))
    ]
    if not still:
        return
    tags = await tags_by_id(conn, ids)
    union = clean_tags([t for i in (survivor, *(m for m, _ in still)) for t in tags[i]])
    if union != tags[survivor]:
        await retag(conn, rows[survivor], tags[survivor], union, "merge", now)
    for rowid, sim in still:
        await soft_delete(
            conn,
            rows[rowid],
            tags[rowid],
            f"merged into {format_id(survivor)} (similarity ≥ {sim})",
            now,
        )


async def _apply_rule(conn: Transaction, rule: LifecycleRule, rowid: int, now: float) -> None:
    """Archive or delete one memory a rule reached (unless it is gone since the plan was made)."""
    row = await fetch_memory_row(conn, rowid)
    if row is None:
        return
    row_tags = (await tags_by_id(conn, [rowid]))[rowid]
    if rule.action == "archive":
        await record_version(conn, row, row_tags, "archive", [f"archived by rule: {rule.describe()}"], now)
        await archive_memory(conn, rowid, now)
    else:
        await soft_delete(conn, row, row_tags, f"deleted by rule: {rule.describe()}", now)
