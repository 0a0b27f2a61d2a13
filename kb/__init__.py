"""Tier0's knowledge library: articles, community answers and hybrid search over them.

This package imports no web framework and no Rasa code; the web app and the bot build on it.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
