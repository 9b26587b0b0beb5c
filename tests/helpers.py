"""Paths and small builders shared by tests."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DATA = REPO_ROOT.parent / "shared" / "tau2-data"


def run_on_api_loop(coro):
    """Run a coroutine on the process's API loop, as training and evaluation do.

    Tests that call litellm through `asyncio.run` would move litellm's process-wide logging worker
    to a new loop each time, abandoning its task on the API loop that other tests started.
    """
    from agentcl.async_runner import api_loop

    return api_loop().run(coro)
