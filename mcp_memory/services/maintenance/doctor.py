"""`mcp-memory doctor`: checks the SQLite build, the extension, the database file and its indexes, the
model files and the model itself, and says how to fix each failure. `--repair` rebuilds the keyword
index and re-queues missing vectors from the memories table."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

import anyio

from mcp_memory.config import DEFAULT_MODEL, Settings
from mcp_memory.embeddings import verify_default_model
from mcp_memory.errors import MemoryServerError, Message, Operation
from mcp_memory.services.app import App
from mcp_memory.services.maintenance.indexing import pending_count
from mcp_memory.storage import LATEST_SCHEMA_VERSION, Database, choose_sqlite
from mcp_memory.storage.connection import connect_plain
from mcp_memory.storage.counts import count_embedded, count_live, schema_version
from mcp_memory.storage.keywords import count_keyword_rows, rebuild_keyword_index
from mcp_memory.storage.query import POSTGRES, Transaction
from mcp_memory.storage.sqlite_facts import integrity_problems, probe_fts5, probe_vec_version, vec_version
from mcp_memory.storage.vectors import (
    count_vectors,
    read_vector_info,
    remove_orphan_vectors,
    requeue_missing_vectors,
)

__all__ = ["Check", "database_checks", "health_checks", "repair_indexes", "run_checks"]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    #: What to do about it; a `Message` when it names a tool or an argument.
    fix: str | Message = ""
    #: Passing, but worth the user's attention (shown as `warn`, with its fix).
    warning: bool = False


def _check_sqlite(settings: Settings) -> tuple[list[Check], bool]:
    checks: list[Check] = []
    try:
        library = choose_sqlite(settings.sqlite)
    except MemoryServerError as exc:
        return [Check("sqlite", False, str(exc), "set MCP_MEMORY_SQLITE=auto")], False
    checks.append(Check("sqlite", True, f"{library.name} {library.version} ({library.reason})"))
    try:
        conn = connect_plain(":memory:", library)
        version = probe_vec_version(conn)
        checks.append(Check("sqlite-vec", True, f"extension {version} loaded"))
    except Exception as exc:
        checks.append(
            Check(
                "sqlite-vec",
                False,
                f"cannot load the extension: {exc}",
                "reinstall mcp-memory (`uv tool install --reinstall <checkout>`, or `uv sync --reinstall` in the checkout), or set MCP_MEMORY_SQLITE=sqlean",
            )
        )
        return checks, False
    try:
        probe_fts5(conn)
        checks.append(Check("fts5", True, "available"))
    except Exception as exc:
        checks.append(Check("fts5", False, f"FTS5 missing: {exc}", "set MCP_MEMORY_SQLITE=sqlean"))
    finally:
        conn.close()
    return checks, True


def _check_file_modes(db: Database) -> Check:
    if db.path is None:
        return Check("file modes", True, "in-memory database")
    file_mode = stat.S_IMODE(os.stat(db.path).st_mode)
    dir_mode = stat.S_IMODE(os.stat(db.path.parent).st_mode)
    ok = not (file_mode & 0o077)
    detail = f"file {oct(file_mode)}, folder {oct(dir_mode)}"
    if not ok:
        return Check("file modes", False, detail, f"chmod 600 {db.path}")
    if dir_mode & 0o077:  # others can list the folder (and read the -wal/-shm files it creates)
        return Check(
            "file modes",
            True,
            detail + " (others can open the folder; memories may hold private notes)",
            f"chmod 700 {db.path.parent}",
            warning=True,
        )
    return Check("file modes", True, detail)


async def database_checks(db: Database, *, quick: bool = False) -> list[Check]:
    """Schema, integrity (quick_check when `quick`), file modes, index consistency, pending vectors."""
    checks = [_check_file_modes(db)]
    version = await schema_version(db)
    checks.append(
        Check(
            "schema",
            version == LATEST_SCHEMA_VERSION,
            f"version {version} (latest {LATEST_SCHEMA_VERSION})",
            "" if version == LATEST_SCHEMA_VERSION else "open it once with the server to migrate",
        )
    )
    result = await integrity_problems(db, quick=quick)
    ok = result == ["ok"]
    checks.append(
        Check(
            "integrity",
            ok,
            "ok" if ok else "; ".join(result[:5]),
            "" if ok else "restore a backup, or copy out what is readable with `mcp-memory export`",
        )
    )
    live = await count_live(db)
    fts = await count_keyword_rows(db)
    checks.append(
        Check(
            "keyword index",
            live == fts,
            f"{fts} indexed of {live} memories",
            "" if live == fts else "run `mcp-memory doctor --repair`",
        )
    )
    info = await read_vector_info(db)
    if info is None:
        checks.append(Check("vector index", True, "no vectors yet (created when the model first loads)"))
    else:
        vectors = await count_vectors(db, info.table)
        embedded = await count_embedded(db)
        ok = vectors == embedded
        checks.append(
            Check(
                "vector index",
                ok,
                f"{vectors} vectors for {embedded} embedded memories ({info.model}, {info.dim}d)",
                "" if ok else "run `mcp-memory doctor --repair`",
            )
        )
    checks.append(await _pending_check(db))
    return checks


async def _pending_check(db: Database) -> Check:
    pending = await pending_count(db)
    return Check(
        "pending embeddings",
        True,
        f"{pending} memories wait for their vector"
        + (" (semantic search does not find them yet)" if pending else ""),
        "`mcp-memory doctor --repair` embeds them now (so does any running server)" if pending else "",
        warning=bool(pending),
    )


def _check_model_files(settings: Settings) -> Check:
    if settings.embedding_model != DEFAULT_MODEL:
        return Check(
            "model files",
            True,
            f"{settings.embedding_model} is managed by fastembed in {settings.model_cache_dir}",
        )
    files = verify_default_model()
    if files.problems:
        return Check(
            "model files",
            False,
            "; ".join(files.problems),
            "reinstall mcp-memory (`uv tool install --reinstall <checkout>`, or `uv sync --reinstall` in the checkout)",
        )
    from mcp_memory.embeddings.prepared import prepared_files

    prepared = prepared_files(settings.model_cache_dir)
    if not prepared:
        note = "; the lighter prepared graph is built on the first load"
    else:
        note = "; prepared graph " + ", ".join(
            f"{path.name} ({'sha256 ok' if ok else 'damaged: it is rebuilt on the next load'})"
            for path, ok in prepared
        )
    return Check("model files", True, f"{files.onnx} and tokenizer files match their sha256{note}")


async def _postgres_checks(url: str) -> list[Check]:
    """A shared database: reachable as this member, set up, with pgvector and its row policies on,
    and the member held to them."""
    from mcp_memory.storage.postgres.connect import describe_url
    from mcp_memory.storage.postgres.database import PgDatabase
    from mcp_memory.storage.postgres.schema import MIGRATIONS
    from mcp_memory.storage.postgres.team import postgres_facts

    where = describe_url(url)
    try:
        db = await PgDatabase.open(url)
    except MemoryServerError as exc:
        return [Check("database", False, str(exc), "check the URL, the network and the role's password")]
    try:
        facts = await postgres_facts(db)
    finally:
        await db.close()
    latest = max(m.version for m in MIGRATIONS)
    return [
        Check("database", True, f"{where} as {facts.role}"),
        Check(
            "schema",
            facts.schema_version == latest,
            f"version {facts.schema_version} (this version knows {latest})",
            "" if facts.schema_version == latest else "an administrator runs `mcp-memory team setup` again",
        ),
        Check(
            "pgvector",
            facts.pgvector is not None,
            facts.pgvector or "missing",
            "" if facts.pgvector else "an administrator runs `mcp-memory team setup`",
        ),
        Check(
            "privacy",
            facts.policies_on and not facts.bypasses_policies,
            "row-level security on; this role is held to it"
            if not facts.bypasses_policies
            else f"{facts.role} bypasses row-level security (an administrator): it reads every member's private memories",
            "" if not facts.bypasses_policies else "connect as a member role (`mcp-memory team add NAME`)",
            warning=facts.bypasses_policies and facts.policies_on,
        ),
    ]


async def run_checks(settings: Settings, *, load_model: bool = True) -> list[Check]:
    """Every check, in order; a failed step skips only what depends on it."""
    if settings.database_url:
        return [_check_model_files(settings), *await _postgres_checks(settings.database_url)]
    checks, can_open = _check_sqlite(settings)
    checks.append(_check_model_files(settings))
    if load_model:
        from mcp_memory.embeddings import load_embedder

        try:
            embedder = await anyio.to_thread.run_sync(load_embedder, settings)
            vector = embedder.embed(["doctor check"])[0]
            checks.append(Check("model", True, f"{embedder.model_id} loaded, {len(vector) // 4} dimensions"))
        except MemoryServerError as exc:
            checks.append(
                Check(
                    "model",
                    False,
                    str(exc),
                    "see the message; reinstalling mcp-memory (`uv tool install --reinstall <checkout>`) restores the bundled model",
                )
            )
    if not can_open:
        return checks
    try:
        db = await Database.open(
            settings.database, sqlite=settings.sqlite, busy_timeout_ms=settings.busy_timeout_ms
        )
    except MemoryServerError as exc:
        checks.append(Check("database", False, str(exc), "see the message"))
        return checks
    try:
        checks.append(Check("database", True, str(db.path)))
        checks.extend(await database_checks(db))
        info = await read_vector_info(db)
        if info is not None:
            ok = info.model == settings.embedding_model
            checks.append(
                Check(
                    "model matches database",
                    ok,
                    f"database: {info.model}; configured: {settings.embedding_model}",
                    "" if ok else "run `mcp-memory reindex`, or set MCP_MEMORY_EMBEDDING_MODEL back",
                )
            )
    finally:
        await db.close()
    return checks


async def repair_indexes(db: Database) -> dict[str, int]:
    """Rebuild the keyword index from the memories table and mark memories whose vector is missing (or
    whose vector belongs to no memory) for re-embedding. Returns what was done."""
    info = await read_vector_info(db)

    async def work(conn: Transaction) -> dict[str, int]:
        indexed = await rebuild_keyword_index(conn)
        requeued = orphans = 0
        if info is not None:
            orphans = await remove_orphan_vectors(conn, info.table)
            requeued = await requeue_missing_vectors(conn, info.table)
        return {"keyword_rows": indexed, "vectors_requeued": requeued, "orphan_vectors_removed": orphans}

    return await db.write(work)


async def health_checks(app: App) -> list[Check]:
    """The running server's view of itself: extension, model, database and indexes."""
    if app.db.dialect == POSTGRES:
        from mcp_memory.storage.postgres.connect import engine_version

        engine = Check(
            "extension", True, f"{await engine_version(app.db)} (shared database, row-level security)"
        )
        checks = [engine, *_model_checks(app), await _pending_check(app.db)]
    else:
        checks = [
            await _extension_check(app),
            *_model_checks(app),
            *await database_checks(app.db, quick=True),
        ]
    pending = next(c for c in checks if c.name == "pending embeddings")
    state = app.embeddings.state.value
    if pending.detail[0] != "0" and not (app.embeddings.ready or state in ("waiting", "loading")):
        checks[checks.index(pending)] = Check(
            pending.name,
            False,
            pending.detail + "; the model is not available",
            "fix the model (see the model check)",
        )
    return checks


async def _extension_check(app: App) -> Check:
    try:
        version = await vec_version(app.db)
        return Check(
            "extension", True, f"sqlite-vec {version} loaded ({app.db.library.name} {app.db.library.version})"
        )
    except Exception as exc:
        return Check("extension", False, f"sqlite-vec not usable: {exc}", "run `mcp-memory doctor`")


def _model_checks(app: App) -> list[Check]:
    state = app.embeddings.state.value
    model_ok = app.embeddings.ready or state in ("waiting", "loading")
    detail = f"{app.settings.embedding_model}: {state}"
    if app.embeddings.load_seconds is not None:
        detail += f" (loaded in {app.embeddings.load_seconds:.1f}s)"
    return [
        Check(
            "model",
            model_ok and not app.embeddings.error,
            detail if not app.embeddings.error else f"{detail}: {app.embeddings.error}",
            "" if model_ok else "run `mcp-memory doctor`",
        ),
        Check(
            "model matches database",
            app.mismatch is None,
            app.mismatch or "ok",
            Message.of("run ", Operation("memory_reindex")) if app.mismatch else "",
        ),
    ]
