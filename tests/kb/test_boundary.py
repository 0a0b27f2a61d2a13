"""The kb package stays independent: no web or bot imports, no heavy imports at import time."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import kb

KB_DIR = Path(kb.__file__).parent
REPO = KB_DIR.parent
FORBIDDEN = frozenset({"flask", "werkzeug", "jinja2", "rasa", "rasa_sdk", "web", "bot"})
HEAVY = ("torch", "faiss", "sentence_transformers", "transformers")


def imported_roots(source: str) -> set[str]:
    """The top-level names of every absolute import in a module, however deeply nested."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def kb_modules() -> list[Path]:
    """Every Python file of the kb package."""
    return sorted(KB_DIR.rglob("*.py"))


def test_import_finder_sees_every_form_of_import() -> None:
    """The checker catches plain, dotted, from- and nested imports, and skips relative ones."""
    source = (
        "import flask\n"
        "import rasa_sdk.executor as ex\n"
        "from web.app import create_app\n"
        "from . import text\n"
        "def late():\n"
        "    if True:\n"
        "        from bot.actions import x\n"
        "        import jinja2, numpy\n"
        "class C:\n"
        "    try:\n"
        "        import werkzeug.routing\n"
        "    except ImportError:\n"
        "        pass\n"
    )

    assert imported_roots(source) == {
        "flask",
        "rasa_sdk",
        "web",
        "bot",
        "jinja2",
        "numpy",
        "werkzeug",
    }


def test_kb_package_is_found() -> None:
    """The walk covers the real package (so the boundary test cannot pass vacuously)."""
    names = {path.name for path in kb_modules()}

    assert {"__init__.py", "search.py", "knowledge_base.py", "embeddings.py"} <= names


@pytest.mark.parametrize("path", kb_modules(), ids=lambda path: path.name)
def test_kb_module_imports_no_web_or_bot_code(path: Path) -> None:
    """No kb module imports Flask, Werkzeug, Jinja, Rasa, or Tier0's web and bot packages."""
    roots = imported_roots(path.read_text(encoding="utf-8"))

    assert not roots & FORBIDDEN, f"{path.relative_to(REPO)} imports {sorted(roots & FORBIDDEN)}"


def test_importing_kb_loads_no_heavy_library() -> None:
    """Importing kb's modules in a fresh interpreter loads neither torch, FAISS nor the model."""
    script = (
        "import json, sys\n"
        "import kb, kb.search, kb.knowledge_base, kb.vector_index, kb.embeddings, kb.index_store\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )

    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == []


def test_heavy_import_check_would_notice_a_heavy_import() -> None:
    """The subprocess check reports a heavy library once something really imports it."""
    script = (
        "import json, sys\n"
        "import kb.vector_index\n"
        "kb.vector_index.VectorIndex(4)\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )

    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert "faiss" in json.loads(completed.stdout.strip().splitlines()[-1])
