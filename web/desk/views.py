"""The desk's pages and the JSON its script polls."""

from __future__ import annotations
