"""The Rasa server's own Python 3.10 environment: the interpreter finder and the `.venv-rasa` venv."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.rasa

REPO_ROOT = Path(__file__).resolve().parents[2]
FIND_PYTHON = REPO_ROOT / "scripts" / "find-python310.sh"
LOCK_FILE = REPO_ROOT / "bot" / "requirements-rasa.txt"
RASA_VENV = REPO_ROOT / ".venv-rasa"
RASA_PYTHON = RASA_VENV / "bin" / "python"
SETUP_HINT = "run `make setup` (or `make rasa-env`) to create it"


def clean_env() -> dict[str, str]:
    """Return the environment minus variables that would leak this venv into another Python."""
    leaky = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    return {key: value for key, value in os.environ.items() if key not in leaky}


def run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a command from the repository root and capture its output as text."""
    return subprocess.run(
        args,
        cwd=REPO_ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def locked_rasa_version() -> str:
    """Return the rasa version pinned in bot/requirements-rasa.txt."""
    match = re.search(r"^rasa==(\S+)$", LOCK_FILE.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, f"{LOCK_FILE} has no rasa==VERSION line"
    return match.group(1)


def require_rasa_venv() -> None:
    """Fail (not skip) with a setup hint when the .venv-rasa environment is missing."""
    if not RASA_PYTHON.exists():
        pytest.fail(f"{RASA_VENV} is missing or broken (no {RASA_PYTHON}): {SETUP_HINT}")


def test_lock_pins_rasa_3_6_21() -> None:
    """The lock pins rasa 3.6.21 and every line is a name==version pin."""
    assert locked_rasa_version() == "3.6.21"
    for line in LOCK_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            assert re.fullmatch(r"[A-Za-z0-9._-]+==[^\s=;]+", line), f"not a pin: {line!r}"


def test_find_python310_prints_a_python_3_10() -> None:
    """scripts/find-python310.sh prints the absolute path of a working Python 3.10."""
    found = run([str(FIND_PYTHON)], timeout=60)
    assert found.returncode == 0, f"find-python310.sh failed: {found.stderr.strip()}"
    path = found.stdout.strip()
    assert Path(path).is_absolute(), f"not an absolute path: {path!r}"
    version = run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], timeout=60)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == "3.10"


def test_rasa_venv_runs_python_3_10() -> None:
    """The .venv-rasa interpreter is Python 3.10."""
    require_rasa_venv()
    version = run(
        [str(RASA_PYTHON), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], timeout=60
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == "3.10"


def test_rasa_venv_has_the_locked_rasa() -> None:
    """The .venv-rasa environment imports rasa 3.6.21, the version in the lock."""
    require_rasa_venv()
    result = run([str(RASA_PYTHON), "-c", "import rasa, sys; print(rasa.__version__)"], timeout=300)
    assert result.returncode == 0, f"cannot import rasa in {RASA_VENV}: {result.stderr.strip()}"
    assert result.stdout.strip() == locked_rasa_version() == "3.6.21", (
        f"{RASA_VENV} has rasa {result.stdout.strip()!r}, the lock pins {locked_rasa_version()}: "
        f"{SETUP_HINT}"
    )
