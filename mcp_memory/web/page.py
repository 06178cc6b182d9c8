"""The viewer's one page: `page.html` with its stylesheet and script (package files, no build step,
nothing from a CDN) placed inline under the page's nonce, so one request with the token brings all
of it and the content security policy runs nothing else."""

from __future__ import annotations

import functools
from importlib import resources

__all__ = ["render_page"]


@functools.cache
def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def render_page(nonce: str) -> str:
    """The page, its style and script marked with `nonce`."""
    return (
        _asset("page.html")
        .replace("{{STYLE}}", _asset("page.css"))
        .replace("{{SCRIPT}}", _asset("page.js"))
        .replace("{{NONCE}}", nonce)
    )
