"""The staff JSON API: escalations (staff token)."""

from __future__ import annotations
