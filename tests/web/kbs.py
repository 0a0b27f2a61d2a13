"""Knowledge bases for web and browser tests, all with the fast hashing embedder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kb.config import Settings
from kb.importer import import_path
from kb.knowledge_base import KnowledgeBase
from kb.migrate import upgrade
from tests.kb.fakes import HashingEmbedder

DEMO = Path(__file__).resolve().parents[2] / "demo"
DEMO_CONTENT = ("articles", "community.jsonl")
"""The demo help centre: its articles and its community questions and answers."""


def open_kb(folder: Path, *, persist: bool = True) -> KnowledgeBase:
    """A knowledge base on the database already in ``folder``; its index is empty until built."""
    return KnowledgeBase.connect(
        Settings(data_dir=folder), embedder=HashingEmbedder(), persist=persist
    )


def fresh_kb(
    folder: Path, *, content: Sequence[str] = DEMO_CONTENT, index: bool = True
) -> KnowledgeBase:
    """A knowledge base on a newly migrated database in ``folder`` holding ``content`` from demo/.

    With ``index`` the search index is built once the content is in.
    """
    upgrade(url=Settings(data_dir=folder).resolved_database_url)
    kb = open_kb(folder)
    for name in content:
        import_path(kb.sessions, DEMO / name)
    if index:
        kb.rebuild()
    return kb
