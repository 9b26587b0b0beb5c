"""Paths and small builders shared by tests."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DATA = REPO_ROOT.parent / "shared" / "tau2-data"
