"""Admin console: webhooks."""

from __future__ import annotations
