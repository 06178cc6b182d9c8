"""Running a few steps at once, with a failure raised as itself."""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine
from typing import Any

import anyio

if sys.version_info < (3, 11):  # pragma: no cover - anyio brings the backport there
    from exceptiongroup import BaseExceptionGroup

__all__ = ["concurrently"]


async def concurrently(*steps: Callable[[], Coroutine[Any, Any, object]]) -> None:
    """Run `steps` at once and wait for all of them.

    anyio's task group raises a failure wrapped in an exception group, which `except
    MemoryServerError` (how a tool turns a service error into a clear tool error) does not catch: a
    search whose keyword stage met a database error answered with an unexplained failure. The first
    failure is raised as itself; the other steps are cancelled as the task group does."""
    try:
        async with anyio.create_task_group() as group:
            for step in steps:
                group.start_soon(step)
    except BaseExceptionGroup as failed:
        first: BaseException = failed
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
