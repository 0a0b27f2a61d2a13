"""The staff JSON API: customers (staff token)."""

from __future__ import annotations
