"""Views of maintenance results: statistics, consolidation, export, import, forgetting."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mcp_memory.services.maintenance.consolidate import ConsolidateReport, merge_text
from mcp_memory.services.maintenance.stats import Stats
from mcp_memory.services.memories.batch import BulkResult
from mcp_memory.services.memories.history import ForgetResult
from mcp_memory.services.transfer.exporting import ExportResult
from mcp_memory.services.transfer.importing import ImportResult
from mcp_memory.views.models import BulkOutput

__all__ = [
    "ConsolidateOutput",
    "ExportOutput",
    "ImportOutput",
    "StatsOutput",
    "consolidate_view",
    "export_view",
    "forget_view",
    "import_summary",
    "import_view",
    "stats_view",
    "tag_view",
]


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
        f"{s.memories} memories ({s.deleted} deleted, {s.pending_embeddings} awaiting vectors), "
        f"{s.database_bytes / 1e6:.1f} MB, model {s.embedding_model} ({s.model_state})."
    )
    return out, text


def consolidate_view(r: ConsolidateReport) -> tuple[ConsolidateOutput, str]:
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
    )
    verb = "Would" if r.dry_run else "Did"
    lines = [merge_text(m, verb) for m in r.merges]
    lines += [f"{verb} remove expired {', '.join(out.expired)}"] if out.expired else []
    lines += [f"{verb} {a.action} {', '.join(a.ids)} ({a.rule})" for a in out.rules]
    if r.skipped:
        lines.append(r.skipped)
    if r.dry_run and (r.merges or r.expired or r.rules):
        lines.append("Run again with dry_run=false (command line: --apply) to make these changes.")
    return out, "\n".join(lines) or "Nothing to consolidate."


def export_view(r: ExportResult) -> tuple[ExportOutput, str]:
    out = ExportOutput(**{k: getattr(r, k) for k in ExportOutput.model_fields})
    return out, (
        f"Wrote {out.memories} memories, {out.entities} entities and {out.episodes} episodes to {out.path} "
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
    parts = []
    for kind, count in written:
        present = r.present.get(kind, 0)
        if kind in ("versions", "links", "steps") and not count and not present:
            continue  # only exports carry these; the other formats say nothing of them
        notes = [f"{present} already present"] if present else []
        refused = r.skipped - present if kind == "memories" else 0
        notes += [f"{refused} skipped"] if refused > 0 else []
        parts.append(f"{count} {kind}" + (f" ({', '.join(notes)})" if notes else ""))
    text = f"Imported {', '.join(parts)}."
    if not any(count for _, count in written) and any(r.present.values()) and not r.problems:
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


def forget_view(r: ForgetResult) -> tuple[BulkOutput, str]:
    out = BulkOutput(dry_run=r.dry_run, count=r.count, sample=list(r.sample), missing=list(r.missing))
    text = f"{'Would erase' if r.dry_run else 'Erased'} {r.count} memories for good."
    if r.dry_run and r.count:
        text += " Run again with dry_run=false (command line: --apply) to erase them."
    return out, text


def tag_view(r: BulkResult) -> tuple[BulkOutput, str]:
    out = BulkOutput(dry_run=False, count=r.count, sample=list(r.sample), missing=list(r.missing))
    text = f"Changed tags on {out.count} memories."
    if out.missing:
        text += f" Not found: {', '.join(out.missing)}."
    return out, text
