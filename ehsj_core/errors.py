"""Errors every layer may raise and every entry point maps (HTTP 404, exit code 2, the "not found" page)."""

from __future__ import annotations


class NotFound(LookupError):
    """What was asked for does not exist: a contract year, a goal, a sent report. The text is Danish."""
