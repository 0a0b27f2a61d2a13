"""Admin console: canned."""

from __future__ import annotations
