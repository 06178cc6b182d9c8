"""What the hooks record, with no language model: failing commands, and the fix that followed.

- A command that fails is kept in `hook_commands` (redacted: private blocks dropped, secrets
  replaced; its output's last lines only), at most MAX_FAILURES a session. Nothing else of any tool's
  output is stored.
- A command that works after one it fixes failed in the same session (`fixes.is_fix`: the same
  command under a wrapper such as `uv run`, another tool's verb for the same act such as `npm
  install zod` -> `pnpm add zod`, a changed flag or path on the same program; never the identical
  command, whose fix was elsewhere) becomes a `lesson` memory: "`X` failed with `E`;
  `Y` worked." It is stored through the memory services (redaction, deduplication, history and the
  keyword index as for any memory; its vector follows when a server runs) and deduplicated across
  sessions by the pair of commands: when the same failure comes back and is fixed the same way, the
  stored lesson counts a recurrence instead (`note_recurrence`), which ranks it higher at session
  start. At most MAX_LESSONS a session.
- At the end of a turn or session (`close_episode`), the failures not yet in an episode become one:
  each failure and fix a step, the outcome success when every failure was followed by a fix, else
  failure, its lesson the pairs learnt. The episode stores no lesson memory of its own: each fix is
  one already, and a failure nothing fixed is no lesson.
"""

from __future__ import annotations

import hashlib
import re
import time

from mcp_memory.config import Settings
from mcp_memory.hooks.db import HookDatabase, HookSession
from mcp_memory.hooks.fixes import is_fix
from mcp_memory.previews import preview
from mcp_memory.services.memories.redaction import redact
from mcp_memory.storage import hook_context, hook_state
from mcp_memory.storage.hook_state import HookCommand
from mcp_memory.storage.inline import run_now

TYPE_CHECKING = False  # typing is not imported at run time: a hook process starts faster
if TYPE_CHECKING:
    from mcp_memory.storage.query import Transaction

__all__ = ["MAX_FAILURES", "MAX_LESSONS", "Lesson", "close_episode", "note_recurrence", "record_command"]

MAX_FAILURES = 50
MAX_LESSONS = 5
_COMMAND_CHARS = 500
_ERROR_CHARS = 240
#: A command that works is compared with at most this many of the latest failures not yet fixed.
_RECENT_FAILURES = 20
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def _tokens(command: str) -> list[str]:
    words = command.split()
    while words and _ASSIGNMENT.match(words[0]):
        words = words[1:]
    return words


class Lesson:
    """A lesson to store, and the key of its pair of commands (deduplication across sessions);
    `recurs`: the lesson memory already stored for the pair (the failure came back)."""

    __slots__ = ("content", "pair", "recurs")

    def __init__(self, content: str, pair: str, recurs: int | None = None) -> None:
        self.content = content
        self.pair = pair
        self.recurs = recurs


def _error_summary(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    text = " / ".join(lines[-2:])
    return text[-_ERROR_CHARS:]


def _short(command: str) -> str:
    return preview(" ".join(command.split()), _COMMAND_CHARS)


def lesson_text(failed: str, output: str, worked: str) -> str:
    error = _error_summary(output)
    said = f" with: {error}" if error else ""
    return f"`{_short(failed)}` failed{said}; `{_short(worked)}` worked instead."


def _pair_key(failed: str, worked: str) -> str:
    raw = " ".join(_tokens(failed)) + "\n" + " ".join(_tokens(worked))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def record_command(
    conn: HookDatabase, settings: Settings, hook: HookSession, command: str, output: str, failed: bool
) -> Lesson | None:
    """Note a command's outcome; the lesson it completes, if any (the caller stores it)."""
    secrets = settings.redact_secrets
    now = time.time()
    sid = hook.session_id
    if failed:
        command = redact(command, secrets=secrets).text.strip()
        if not command:
            return None

        async def note(tx: Transaction) -> None:
            if await hook_state.count_failures(tx, sid) < MAX_FAILURES:
                said = redact(output, secrets=secrets).text
                await hook_state.add_command(tx, sid, _short(command), said, ok=False, fixes=None, at=now)
                await hook_state.touch_session(tx, sid, now)

        conn.write(note)
        return None
    # The usual case, a command that worked with no failure before it: one indexed read.
    failures = run_now(hook_state.unfixed_failures(conn.reader, sid, _RECENT_FAILURES))
    match = next((f for f in failures if is_fix(f.command, command)), None)
    if match is None:
        return None
    command = redact(command, secrets=secrets).text.strip()
    lesson = Lesson(lesson_text(match.command, match.output, command), _pair_key(match.command, command))

    async def fix(tx: Transaction) -> Lesson | None:
        await hook_state.add_command(tx, sid, _short(command), "", ok=True, fixes=match.id, at=now)
        found = await hook_state.read_session(tx, sid)
        if found is None or found.lessons >= MAX_LESSONS:
            return None
        await hook_state.count_lesson(tx, sid, now)
        stored = await hook_context.stored_lesson(tx, lesson.pair)
        if stored is not None:
            lesson.recurs = stored  # the same failure, fixed the same way again
        return lesson

    return conn.write(fix)


async def store_lesson(settings: Settings, project: str, lesson: Lesson) -> str:
    """Store a lesson through the memory services; its id."""
    from mcp_memory.services.app import open_app
    from mcp_memory.services.memories.store import store_memory

    async with open_app(settings) as app:
        stored = await store_memory(
            app,
            lesson.content,
            kind="lesson",
            tags=["hook", "command-fix"],
            importance=0.6,
            metadata={"source": "hook", "hook_pair": lesson.pair},
            project=project or "global",
        )
    return stored.id


#: Each time a fixed failure comes back, its lesson's importance rises by this much, up to _MOST.
_RECURRENCE_STEP = 0.05
_MOST = 0.9


async def note_recurrence(settings: Settings, lesson: Lesson) -> None:
    """The failure of a stored lesson came back and was fixed the same way: its memory counts one more
    recurrence and a little more importance (through the memory services, as a new version), so a
    fix that keeps being needed ranks higher in the session-start block."""
    from mcp_memory.services.app import open_app
    from mcp_memory.services.memories.changes import update_memory
    from mcp_memory.services.memories.records import load_memories
    from mcp_memory.storage.ids import format_id

    if lesson.recurs is None:
        return
    ident = format_id(lesson.recurs)
    async with open_app(settings) as app:
        # Read without counting a read: a recurrence counts on its own in the session block.
        memory = (await load_memories(app.db, [lesson.recurs])).get(lesson.recurs)
        if memory is None:
            return  # deleted in between: nothing to count on
        seen = memory.metadata.get("recurrences", 0)
        count = (seen if isinstance(seen, int) else 0) + 1
        await update_memory(
            app,
            ident,
            metadata={**memory.metadata, "recurrences": count},
            importance=min(_MOST, max(memory.importance, round(memory.importance + _RECURRENCE_STEP, 2))),
        )


def _claim(conn: HookDatabase, hook: HookSession) -> list[HookCommand]:
    """The session's commands not yet in an episode, claimed in one transaction (a second hook
    ending at the same moment finds none)."""
    sid = hook.session_id

    async def claim(tx: Transaction) -> list[HookCommand]:
        found = await hook_state.read_session(tx, sid)
        done = found.steps if found else 0
        rows = await hook_state.commands(tx, sid)
        await hook_state.set_steps(tx, sid, len(rows), time.time())
        return rows[done:]

    return conn.write(claim)


def pending_steps(conn: HookDatabase, hook: HookSession) -> bool:
    """Whether this session has failures or fixes not yet in an episode (one cheap read)."""
    return run_now(hook_state.count_commands(conn.reader, hook.session_id)) > hook.steps


async def close_episode(settings: Settings, conn: HookDatabase, hook: HookSession, client: str) -> str | None:
    """Turn the session's commands not yet recorded into a completed episode; its id, or None when
    there was nothing new. Runs at a turn's or a session's end, never on the prompt path."""
    rows = _claim(conn, hook)
    if all(r.ok for r in rows):
        return None
    from mcp_memory.services.app import open_app
    from mcp_memory.services.episodes.record import add_step, complete_episode, start_episode

    fixed = {r.fixes for r in rows if r.fixes is not None}
    failures = [r for r in rows if not r.ok]
    unfixed = [r for r in failures if r.id not in fixed]
    outcome = "failure" if unfixed else "success"
    by_id = {r.id: r for r in rows}
    lessons = [
        lesson_text(by_id[r.fixes].command, by_id[r.fixes].output, r.command)
        for r in rows
        if r.fixes is not None and r.fixes in by_id
    ]
    task = f"{client} session in {hook.project or 'no project'}: {len(failures)} failing command(s)"
    async with open_app(settings) as app:
        episode = await start_episode(app, task, project=hook.project or "global", tags=["hook"])
        for row in rows[:100]:
            await add_step(
                app, episode, row.command, result=None if row.ok else row.output or None, ok=row.ok
            )
        # Each fix's lesson is a memory already (`store_lesson`); the episode keeps them together.
        await complete_episode(app, episode, outcome, lesson=" ".join(lessons) or None, remember=False)
    return episode
