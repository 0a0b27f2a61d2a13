"""Shared services the views use, created once per app."""

from __future__ import annotations

import threading

from flask import Flask, current_app

from kb.config import Settings
from kb.embeddings import Embedder, RememberingEmbedder
from kb.knowledge_base import KnowledgeBase

_KEY = "tier0.kb"
_REPORTS = "tier0.report_embedder"
_lock = threading.Lock()


def init_app(app: Flask, *, knowledge_base: KnowledgeBase | None = None) -> None:
    """Attach the knowledge base (given, or opened lazily on first use)."""
    app.extensions[_KEY] = knowledge_base


def knowledge_base() -> KnowledgeBase:
    """The app's knowledge base, opened on first use."""
    app = current_app
    kb: KnowledgeBase | None = app.extensions.get(_KEY)
    if kb is None:
        with _lock:
            kb = app.extensions.get(_KEY)
            if kb is None:
                settings: Settings = app.config["TIER0_SETTINGS"]
                kb = KnowledgeBase.open(settings)
                app.extensions[_KEY] = kb
    return kb


def report_embedder() -> Embedder:
    """The knowledge base's embedder, remembering what it embedded: reports such as the content
    gaps embed mostly the same questions on every load, and only new ones reach the model."""
    app = current_app
    embedder: Embedder | None = app.extensions.get(_REPORTS)
    if embedder is None:
        with _lock:
            embedder = app.extensions.get(_REPORTS)
            if embedder is None:
                embedder = RememberingEmbedder(knowledge_base().embedder)
                app.extensions[_REPORTS] = embedder
    return embedder
