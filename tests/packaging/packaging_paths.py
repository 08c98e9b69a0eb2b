"""Paths the packaging tests share (a plain module: conftest.py is not imported by name)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
