"""The assistant's domain, training data and model: the docs/chat.md contract, `rasa data validate`,
`rasa test` on the test stories, and the training cache key of scripts/train-rasa.sh.

Tests that run Rasa are marked ``rasa``; the checks on the YAML files and the cache key need only
this environment.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DOMAIN = REPO_ROOT / "bot" / "domain.yml"
NLU = REPO_ROOT / "training_data" / "nlu.yml"
RULES = REPO_ROOT / "training_data" / "rules.yml"
TEST_STORIES = REPO_ROOT / "tests" / "bot" / "test_stories.yml"
TRAIN_SCRIPT = REPO_ROOT / "scripts" / "train-rasa.sh"
RASA = REPO_ROOT / ".venv-rasa" / "bin" / "rasa"
CURRENT_MODEL = REPO_ROOT / "models" / "current.tar.gz"
DATA_SETS = Path(os.environ.get("TIER0_DATA_SETS", REPO_ROOT.parent / "shared" / "data"))

# docs/chat.md, "NLU intents" and "Actions and slots".
INTENT_ACTIONS = {
    "ask_question": "action_answer",
    "nlu_fallback": "action_answer",
    "choose_article": "action_answer",
    "affirm": "action_feedback",
    "deny": "action_feedback",
    "request_human": "action_handoff",
    "express_frustration": "action_frustration",
    "out_of_scope": "action_out_of_scope",
    "greet": "utter_greet",
    "goodbye": "utter_goodbye",
    "thanks": "utter_welcome",
    "bot_challenge": "utter_iamabot",
}
SLOTS = {
    "question",
    "candidates",
    "candidate_index",
    "awaiting_feedback",
    "failures",
    "shown",
    "handoff_offered",
    "handed_over",
}
MIN_EXAMPLES = {
    "ask_question": 250,
    "out_of_scope": 55,
    "request_human": 40,
    "express_frustration": 40,
    "bot_challenge": 25,
    "greet": 25,
    "goodbye": 25,
    "thanks": 25,
    "affirm": 25,
    "deny": 25,
}
# Rasa's core fallback (action_default_fallback) says utter_default; the validator cannot see that.
ALLOWED_WARNINGS = {"The utterance 'utter_default' is not used in any story or rule."}
ENTITY_MARKUP = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def load(path: Path) -> dict:
    """A YAML file as a dict."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def nlu_examples() -> dict[str, list[str]]:
    """The NLU examples per intent, entity markup removed."""
    found: dict[str, list[str]] = {}
    for block in load(NLU)["nlu"]:
        if "intent" not in block:
            continue
        lines = block["examples"].splitlines()
        texts = [ENTITY_MARKUP.sub(r"\1", line.strip()[2:]) for line in lines if line.strip()]
        found.setdefault(block["intent"], []).extend(texts)
    return found


def normalise(text: str) -> str:
    """Lower case, punctuation dropped, single spaces."""
    return " ".join(re.sub(r"[^\w\s]", "", text.lower()).split())


def run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a command from the repository root without this venv leaking into it."""
    leaky = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    clean = {key: value for key, value in os.environ.items() if key not in leaky}
    # PYTHONPATH: Rasa imports the NLU featurizer bot.sentence_encoder from config.yml.
    clean.update(
        RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(REPO_ROOT)
    )
    return subprocess.run(
        args, cwd=REPO_ROOT, env=clean, capture_output=True, text=True, timeout=timeout, check=False
    )


# --- the contract, on the YAML files ---------------------------------------------------------


def test_domain_has_the_contract_intents_actions_and_slots() -> None:
    """Intents, entity, slots, responses and actions are those docs/chat.md lists."""
    domain = load(DOMAIN)
    assert set(domain["intents"]) == set(INTENT_ACTIONS) - {"nlu_fallback"}
    assert domain["entities"] == ["article_ref"]
    assert set(domain["actions"]) == {a for a in INTENT_ACTIONS.values() if a.startswith("action_")}
    assert {a for a in INTENT_ACTIONS.values() if a.startswith("utter_")} | {
        "utter_default"
    } <= set(domain["responses"])
    assert set(domain["slots"]) >= SLOTS
    for name, slot in domain["slots"].items():
        assert slot["influence_conversation"] is False, name
        assert slot["mappings"] == [{"type": "custom"}], name
    assert domain["session_config"] == {
        "session_expiration_time": 60,
        "carry_over_slots_to_new_session": True,
    }


def test_responses_the_actions_use_are_in_the_domain() -> None:
    """Every ``utter_…`` name in the action server's code is a response of the domain."""
    responses = set(load(DOMAIN)["responses"])
    for path in (REPO_ROOT / "bot").rglob("*.py"):
        for name in re.findall(r"[\"'](utter_[a-z0-9_]+)[\"']", path.read_text(encoding="utf-8")):
            assert name in responses, (
                f"{path.relative_to(REPO_ROOT)} uses {name}, not in the domain"
            )


def test_rules_map_each_intent_to_its_action() -> None:
    """Every intent has exactly one rule, leading to the action docs/chat.md names."""
    mapped: dict[str, list[str]] = {}
    for rule in load(RULES)["rules"]:
        steps = rule["steps"]
        assert len(steps) == 2, rule["rule"]
        mapped.setdefault(steps[0]["intent"], []).append(steps[1]["action"])
    assert mapped == {intent: [action] for intent, action in INTENT_ACTIONS.items()}


def test_nlu_has_enough_distinct_examples_per_intent() -> None:
    """Each intent has its minimum number of examples, none repeated or shared between intents."""
    examples = nlu_examples()
    for intent, minimum in MIN_EXAMPLES.items():
        assert len(examples[intent]) >= minimum, intent
    counts = Counter(normalise(text) for texts in examples.values() for text in texts)
    assert [text for text, n in counts.items() if n > 1] == []
    assert set(examples) == set(INTENT_ACTIONS) - {"nlu_fallback"}


def test_test_stories_use_fresh_messages() -> None:
    """No message of the test stories is a training example (the test would prove nothing)."""
    trained = {normalise(text) for texts in nlu_examples().values() for text in texts}
    for story in load(TEST_STORIES)["stories"]:
        for step in story["steps"]:
            if "user" in step and not step["user"].startswith("/"):
                assert normalise(step["user"]) not in trained, step["user"]


def evaluation_texts() -> set[str]:
    """Every query of the evaluation splits (test, validation) of the public data sets."""
    texts: set[str] = set()
    for path in DATA_SETS.glob("*/*.jsonl"):
        if not re.search(r"test|val|queries", path.name):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            text = json.loads(line).get("text") if line.strip() else None
            if isinstance(text, str):
                texts.add(normalise(text))
    return texts


def test_no_training_example_comes_from_evaluation_data() -> None:
    """No example of three or more words is verbatim in an evaluation split of ../shared/data."""
    if not DATA_SETS.is_dir():
        pytest.skip(f"no evaluation data sets at {DATA_SETS}")
    held_out = evaluation_texts()
    ours = [text for texts in nlu_examples().values() for text in texts]
    ours += [
        step["user"]
        for story in load(TEST_STORIES)["stories"]
        for step in story["steps"]
        if "user" in step
    ]
    assert [t for t in ours if len(t.split()) >= 3 and normalise(t) in held_out] == []


# --- the training cache key ------------------------------------------------------------------


def print_key(root: Path) -> str:
    """scripts/train-rasa.sh --print-key run in a copy of the repository at ``root``."""
    done = subprocess.run(
        ["bash", str(root / "scripts" / "train-rasa.sh"), "--print-key"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    key = done.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", key), done.stdout
    return key


@pytest.fixture
def inputs_copy(tmp_path: Path) -> Path:
    """A copy of the script and the model's inputs, to change freely."""
    for name in (
        "config.yml",
        "bot/domain.yml",
        "bot/sentence_encoder.py",
        "bot/requirements-rasa.txt",
        "scripts/train-rasa.sh",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, tmp_path / name)
    shutil.copytree(REPO_ROOT / "training_data", tmp_path / "training_data")
    # The main environment exports the NLU encoder; its bundle name is part of the key.
    (tmp_path / ".venv").symlink_to(REPO_ROOT / ".venv")
    return tmp_path


def append(path: Path, text: str) -> None:
    """Append text to a file."""
    with path.open("a", encoding="utf-8") as out:
        out.write(text)


def test_key_is_the_same_for_the_same_inputs(inputs_copy: Path) -> None:
    """The key depends on content only: not on the folder, file times or unrelated files."""
    assert print_key(inputs_copy) == print_key(REPO_ROOT)
    os.utime(inputs_copy / "training_data" / "nlu.yml", (0, 0))
    (inputs_copy / "README.md").write_text("not a training input\n", encoding="utf-8")
    (inputs_copy / "bot" / "endpoints.yml").write_text("action_endpoint: {}\n", encoding="utf-8")
    assert print_key(inputs_copy) == print_key(REPO_ROOT)


@pytest.mark.parametrize(
    "change",
    [
        "edit nlu",
        "add training file",
        "rename training file",
        "config",
        "domain",
        "rasa lock",
        "featurizer code",
    ],
)
def test_key_changes_with_any_training_input(inputs_copy: Path, change: str) -> None:
    """Editing, adding or renaming training data, or config, domain, featurizer or lock, changes it."""
    before = print_key(inputs_copy)
    data = inputs_copy / "training_data"
    edits = {
        "edit nlu": lambda: append(data / "nlu.yml", "\n"),
        "add training file": lambda: (data / "more.yml").write_text('version: "3.1"\n'),
        "rename training file": lambda: (data / "rules.yml").rename(data / "rules2.yml"),
        "config": lambda: append(inputs_copy / "config.yml", "# tuned\n"),
        "domain": lambda: append(inputs_copy / "bot" / "domain.yml", "\n"),
        "rasa lock": lambda: append(inputs_copy / "bot" / "requirements-rasa.txt", "x==1\n"),
        "featurizer code": lambda: append(inputs_copy / "bot" / "sentence_encoder.py", "\n"),
    }
    edits[change]()
    assert print_key(inputs_copy) != before


# --- Rasa itself -----------------------------------------------------------------------------


def require_rasa() -> None:
    """Fail (not skip) with a setup hint when the Rasa environment is missing."""
    if not RASA.exists():
        pytest.fail(f"{RASA} not found: run `make setup` (or `make rasa-env`)")


@pytest.mark.rasa
def test_rasa_data_validate_passes_without_warnings() -> None:
    """`rasa data validate --fail-on-warnings`: no unused or undefined intents, actions, responses."""
    require_rasa()
    done = run(
        [
            str(RASA),
            "data",
            "validate",
            "--domain",
            "bot/domain.yml",
            "--data",
            "training_data",
            "--config",
            "config.yml",
            "--fail-on-warnings",
        ],
        timeout=600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    warnings = [
        line.split("UserWarning: ", 1)[1]
        for line in output.splitlines()
        if "UserWarning: " in line and line.split("UserWarning: ", 1)[1] not in ALLOWED_WARNINGS
    ]
    assert warnings == []
    assert "No story structure conflicts found." in output


@pytest.fixture(scope="module")
def model() -> Path:
    """The trained model for the current inputs (scripts/train-rasa.sh: cached unless stale)."""
    require_rasa()
    done = run(["bash", str(TRAIN_SCRIPT)], timeout=1800)
    assert done.returncode == 0, done.stdout + done.stderr
    assert CURRENT_MODEL.is_file()
    return CURRENT_MODEL


@pytest.mark.rasa
def test_test_stories_pass(model: Path, tmp_path: Path) -> None:
    """`rasa test core --e2e --fail-on-prediction-errors`: every intent and next action right."""
    done = run(
        [
            str(RASA),
            "test",
            "core",
            "--stories",
            str(TEST_STORIES),
            "--model",
            str(model),
            "--e2e",
            "--fail-on-prediction-errors",
            "--out",
            str(tmp_path),
        ],
        timeout=600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    # Rasa only reads conversation tests from files named test_*.yml: make sure it read them all.
    report = json.loads((tmp_path / "story_report.json").read_text(encoding="utf-8"))
    conversations = report["conversation_accuracy"]
    stories = len(load(TEST_STORIES)["stories"])
    assert (conversations["correct"], conversations["total"]) == (stories, stories), conversations
