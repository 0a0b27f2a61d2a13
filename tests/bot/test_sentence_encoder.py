"""The Rasa NLU featurizer (bot/sentence_encoder.py), run in the Rasa environment.

It must give the knowledge base's sentence vectors (up to 8-bit quantisation), refuse to train
without an encoder bundle, and name what is missing from an incomplete one.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from kb.config import Settings
from kb.embeddings import make_embedder
from kb.nlu_encoder import export_encoder

REPO = Path(__file__).resolve().parents[2]
PYTHON = REPO / ".venv-rasa" / "bin" / "python"
# Pairs of paraphrases: each text's nearest other text is its partner.
TEXTS = [
    "hi",
    "hello there",
    "how do I reset my password",
    "I forgot my password and can't log in",
    "can I return boots I bought on sale three weeks ago and get my money back",
    "refund for sale items sent back after three weeks",
    "talk to a person",
    "can I speak to a human",
    "you are useless",
    "this bot is no help at all",
]
SCRIPT = """
import json, sys
from pathlib import Path
from bot.sentence_encoder import Encoder
texts = json.loads(sys.argv[2])
vectors = Encoder(Path(sys.argv[1]), threads=1).encode(texts)
print(json.dumps(vectors.tolist()))
"""
MISSING = """
import sys
from pathlib import Path
from bot.sentence_encoder import EncoderMissing, Encoder
try:
    Encoder(Path(sys.argv[1]), threads=1)
except EncoderMissing as error:
    print(error)
"""


def in_rasa(script: str, *args: str) -> str:
    """Run a script with the Rasa environment's Python from the checkout; its output."""
    if not PYTHON.exists():
        pytest.fail(f"{PYTHON} not found: run `make rasa-env`")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONHOME", "VIRTUAL_ENV"}}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [str(PYTHON), "-c", script, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.rasa
@pytest.mark.model
def test_rasa_side_vectors_match_the_knowledge_base() -> None:
    """Each vector is unit length and close to kb's own: 8-bit weights move short texts most
    (cosine 0.92 for "hi"), so the check is cosine ≥ 0.9 and that similar texts stay similar."""
    settings = Settings()
    bundle = export_encoder(settings.embedding_model, settings.cache_dir)
    found = np.asarray(json.loads(in_rasa(SCRIPT, str(bundle.path), json.dumps(TEXTS))))
    expected = make_embedder(settings.embedding_model).embed(TEXTS)
    assert found.shape == expected.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(found, axis=1), 1.0, atol=1e-4)
    cosines = (found * expected).sum(axis=1)
    assert cosines.min() >= 0.9, cosines
    # Which texts are alike stays the same: each text's nearest other text is its paraphrase.
    partners = [i ^ 1 for i in range(len(TEXTS))]
    for vectors in (found, expected):
        nearest = (vectors @ vectors.T - 2 * np.eye(len(TEXTS))).argmax(axis=1)
        assert list(nearest) == partners


@pytest.mark.rasa
def test_an_incomplete_bundle_is_named_with_what_is_missing(tmp_path: Path) -> None:
    """A folder without the model says which files are missing and how to write a bundle."""
    (tmp_path / "tokenizer.json").write_text("{}", encoding="utf-8")
    message = in_rasa(MISSING, str(tmp_path))
    assert "missing model.onnx, encoder.json" in message
    assert "tier0 kb export-encoder" in message
