"""Admin console: users."""

from __future__ import annotations
