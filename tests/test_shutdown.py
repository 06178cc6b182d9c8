"""How the stdio server ends: an interrupt that finds the transport's streams closed under it ends
as the interrupt (exit 130, no traceback), anything else is raised as it is."""

from __future__ import annotations

import anyio
import pytest

from mcp_memory.mcp.server import closed_streams_only

pytestmark = pytest.mark.anyio


async def _group_of(*errors: Exception) -> Exception:
    async def fail(error: Exception) -> None:
        raise error

    try:
        async with anyio.create_task_group() as tasks:
            for error in errors:
                tasks.start_soon(fail, error)
    except Exception as group:  # an ExceptionGroup on every supported Python
        return group
    raise AssertionError("the task group raised nothing")


async def test_closed_stream_errors_are_the_interrupt_and_others_are_not() -> None:
    assert closed_streams_only(await _group_of(anyio.BrokenResourceError()))
    assert closed_streams_only(anyio.ClosedResourceError())
    assert not closed_streams_only(await _group_of(ValueError("a real failure")))
    assert not closed_streams_only(RuntimeError("a real failure"))
