"""Views of maintenance results: statistics, health checks, consolidation, lifecycle rules, export,
import, forgetting, re-embedding."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mcp_memory.errors import Argument, Message, Spelling
from mcp_memory.services.maintenance.consolidate import ConsolidateReport, LifecycleRule, merge_text
from mcp_memory.services.maintenance.doctor import Check
from mcp_memory.services.maintenance.stats import ReindexResult, Stats
from mcp_memory.services.maintenance.supersessions import supersession_text
from mcp_memory.services.memories.history import ForgetResult
from mcp_memory.services.transfer.exporting import ExportResult
from mcp_memory.services.transfer.importing import ImportResult
from mcp_memory.views.models import BulkOutput, CheckOut
from mcp_memory.views.render import count

__all__ = [
    "ConsolidateOutput",
    "DoctorOutput",
    "ExportOutput",
    "HealthOutput",
    "ImportOutput",
    "LifecycleOutput",
    "ReindexOutput",
    "StatsOutput",
    "check_text",
    "consolidate_view",
    "doctor_view",
    "export_view",
    "forget_view",
    "health_view",
    "import_summary",
    "import_view",
    "lifecycle_view",
    "reindex_view",
    "stats_view",
]

#: What a dry run says to make its changes: `dry_run=false` to a tool, `--apply` on the command line.
_APPLY = Argument("dry_run", False)


class StatsOutput(BaseModel):
    memories: int
    deleted: int
    pending_embeddings: int
    by_kind: dict[str, int] = Field(default_factory=dict)
    by_project: dict[str, int] = Field(default_factory=dict)
    top_tags: dict[str, int] = Field(default_factory=dict)
    database_path: str
    database_bytes: int
    schema_version: int
    sqlite: str
    embedding_model: str
    recorded_model: str | None = None
    model_state: str
    model_problem: str | None = None


class MergedOut(BaseModel):
    id: str
    content: str
    similarity: float


class MergeOut(BaseModel):
    survivor: str
    merged: list[str] = Field(default_factory=list)
    similarity: float
    survivor_content: str = Field(description="The text that survives, with every tag of the group.")
    merged_memories: list[MergedOut] = Field(
        default_factory=list,
        description="The memories folded in (recoverable with memory_history / memory_revert).",
    )


class SupersessionOut(BaseModel):
    older: str
    older_content: str
    newer: str
    newer_content: str
    similarity: float


class RuleActionOut(BaseModel):
    rule: str
    action: str
    ids: list[str] = Field(default_factory=list)


class ConsolidateOutput(BaseModel):
    dry_run: bool = False
    merges: list[MergeOut] = Field(default_factory=list)
    expired: list[str] = Field(default_factory=list)
    rules: list[RuleActionOut] = Field(default_factory=list)
    skipped: str | None = None
    supersessions: list[SupersessionOut] = Field(
        default_factory=list,
        description="older memories a newer one contradicts: retired (history kept, memory_revert "
        "brings one back)",
    )


class HealthOutput(BaseModel):
    ok: bool = True
    checks: list[CheckOut] = Field(default_factory=list)


class DoctorOutput(HealthOutput):
    """`doctor`: the checks, as memory_health gives its own, and what `--repair` did."""

    repaired: dict[str, int] | None = None


class LifecycleOutput(BaseModel):
    rules: list[str] = Field(default_factory=list)


class ReindexOutput(BaseModel):
    embedded: int
    model: str
    dim: int
    seconds: float


class ExportOutput(BaseModel):
    path: str
    format: str
    memories: int
    versions: int
    entities: int
    relations: int
    episodes: int
    bytes: int


class ImportOutput(BaseModel):
    imported: int
    skipped: int = 0
    entities: int
    relations: int
    episodes: int
    versions: int = 0
    links: int = 0
    steps: int = 0
    already_present: dict[str, int] = Field(
        default_factory=dict,
        description="Per record type, how many were already stored and not written again.",
    )
    problems: list[str] = Field(default_factory=list, description="Why entries were skipped (first 50).")
    redacted: int = Field(default=0, description="Secrets and private blocks replaced by markers.")


def stats_view(s: Stats) -> tuple[StatsOutput, str]:
    out = StatsOutput(**{k: getattr(s, k) for k in StatsOutput.model_fields})
    text = (
        f"{count(s.memories, 'memory')} ({s.deleted} deleted, {s.pending_embeddings} awaiting vectors), "
        f"{s.database_bytes / 1e6:.1f} MB, model {s.embedding_model} ({s.model_state})."
    )
    return out, text


def consolidate_view(r: ConsolidateReport, *, spelling: Spelling) -> tuple[ConsolidateOutput, str]:
    out = ConsolidateOutput(
        dry_run=r.dry_run,
        merges=[
            MergeOut(
                survivor=m.survivor,
                merged=list(m.merged),
                similarity=m.similarity,
                survivor_content=m.survivor_content,
                merged_memories=[
                    MergedOut(id=x.id, content=x.content, similarity=x.similarity) for x in m.merged_memories
                ],
            )
            for m in r.merges
        ],
        expired=list(r.expired),
        rules=[RuleActionOut(rule=a.rule, action=a.action, ids=list(a.ids)) for a in r.rules],
        skipped=r.skipped,
        supersessions=[
            SupersessionOut(
                older=x.older,
                older_content=x.older_content,
                newer=x.newer,
                newer_content=x.newer_content,
                similarity=x.similarity,
            )
            for x in r.supersessions
        ],
    )
    verb = "Would" if r.dry_run else "Did"
    lines = [merge_text(m, verb) for m in r.merges]
    lines += [supersession_text(x, verb) for x in r.supersessions]
    lines += [f"{verb} remove expired {', '.join(out.expired)}"] if out.expired else []
    lines += [f"{verb} {a.action} {', '.join(a.ids)} ({a.rule})" for a in out.rules]
    if r.skipped:
        lines.append(r.skipped)
    if r.dry_run and (r.merges or r.expired or r.rules or r.supersessions):
        lines.append(Message.of("Run again with ", _APPLY, " to make these changes.").spelled(spelling))
    return out, "\n".join(lines) or "Nothing to consolidate."


def export_view(r: ExportResult) -> tuple[ExportOutput, str]:
    out = ExportOutput(**{k: getattr(r, k) for k in ExportOutput.model_fields})
    return out, (
        f"Wrote {count(out.memories, 'memory')}, {count(out.entities, 'entity')} and "
        f"{count(out.episodes, 'episode')} to {out.path} "
        f"({out.bytes:,} bytes)."
    )


def import_summary(r: ImportResult) -> str:
    """One sentence: what was written of each record type, and what was already there."""
    written = [
        ("memories", r.imported),
        ("versions", r.versions),
        ("entities", r.entities),
        ("relations", r.relations),
        ("links", r.links),
        ("episodes", r.episodes),
        ("steps", r.steps),
    ]
    singular = {"memories": "memory", "entities": "entity"}
    parts = []
    for kind, number in written:
        present = r.present.get(kind, 0)
        if kind in ("versions", "links", "steps") and not number and not present:
            continue  # only exports carry these; the other formats say nothing of them
        notes = [f"{present} already present"] if present else []
        refused = r.skipped - present if kind == "memories" else 0
        notes += [f"{refused} skipped"] if refused > 0 else []
        parts.append(
            count(number, singular.get(kind, kind[:-1])) + (f" ({', '.join(notes)})" if notes else "")
        )
    text = f"Imported {', '.join(parts)}."
    if not any(number for _, number in written) and any(r.present.values()) and not r.problems:
        text += " Nothing new: everything in the file was already stored."
    return text


def import_view(r: ImportResult) -> tuple[ImportOutput, str]:
    out = ImportOutput(
        imported=r.imported,
        skipped=r.skipped,
        entities=r.entities,
        relations=r.relations,
        episodes=r.episodes,
        versions=r.versions,
        links=r.links,
        steps=r.steps,
        already_present=dict(r.present),
        problems=list(r.problems[:50]),
        redacted=r.redacted,
    )
    text = import_summary(r)
    if out.redacted:
        text += f" {out.redacted} secret(s) or private block(s) were replaced by markers."
    if out.problems:
        text += "\nSkipped: " + "; ".join(out.problems[:10])
    return out, text


def forget_view(r: ForgetResult, *, spelling: Spelling) -> tuple[BulkOutput, str]:
    out = BulkOutput(dry_run=r.dry_run, count=r.count, sample=list(r.sample), missing=list(r.missing))
    text = f"{'Would erase' if r.dry_run else 'Erased'} {count(r.count, 'memory')} for good."
    if r.dry_run and r.count:
        text += Message.of(" Run again with ", _APPLY, " to erase them.").spelled(spelling)
    return out, text


def _check_out(c: Check, spelling: Spelling) -> CheckOut:
    fix = c.fix.spelled(spelling) if isinstance(c.fix, Message) else c.fix
    return CheckOut(name=c.name, ok=c.ok, detail=c.detail, fix=fix, warning=c.warning)


def check_text(c: CheckOut) -> str:
    """One check on one line: FAIL, warn or ok, its name and detail, and the fix when it needs one."""
    label = "FAIL" if not c.ok else "warn" if c.warning else "ok"
    return f"{label} {c.name}: {c.detail}" + (f" (fix: {c.fix})" if c.fix and (c.warning or not c.ok) else "")


def health_view(checks: list[Check], *, spelling: Spelling) -> tuple[HealthOutput, str]:
    out = HealthOutput(ok=all(c.ok for c in checks), checks=[_check_out(c, spelling) for c in checks])
    return out, "\n".join(check_text(c) for c in out.checks)


def doctor_view(
    checks: list[Check], repaired: dict[str, int] | None, *, spelling: Spelling
) -> tuple[DoctorOutput, str]:
    """The checks in memory_health's records, what was repaired, and the verdict: a page for a person
    at a terminal, each fix on its own line."""
    health = health_view(checks, spelling=spelling)[0]
    out = DoctorOutput(ok=health.ok, checks=health.checks, repaired=repaired)
    lines = []
    if repaired is not None:
        lines.append("repaired: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in repaired.items()))
    for c in out.checks:
        label = "FAIL" if not c.ok else "warn" if c.warning else "ok  "
        lines.append(f"{label} {c.name}: {c.detail}" + (f"\n     fix: {c.fix}" if c.fix else ""))
    failed = sum(not c.ok for c in checks)
    lines.append("all checks passed" if not failed else f"{count(failed, 'check')} failed")
    return out, "\n".join(lines)


def lifecycle_view(rules: list[LifecycleRule]) -> tuple[LifecycleOutput, str]:
    out = LifecycleOutput(rules=[r.describe() for r in rules])
    return out, "\n".join(out.rules) or "No lifecycle rules."


def reindex_view(r: ReindexResult) -> tuple[ReindexOutput, str]:
    out = ReindexOutput(embedded=r.embedded, model=r.model, dim=r.dim, seconds=round(r.seconds, 2))
    return out, (
        f"Re-embedded {count(r.embedded, 'memory')} with {r.model} ({r.dim} dimensions) in {r.seconds:.1f}s."
    )
