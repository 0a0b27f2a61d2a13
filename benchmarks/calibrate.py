"""Fit the confidence model (``kb/confidence.py``) on training splits, and check it on held-out ones.

Training data: StackFAQ training folds (thread and QA-pair level) and CLINC150's train split (80
examples of each intent as phrasings, the other 20 as questions, plus ``oos_train`` as questions
that must not be answered). A search's label is 1 when its top hit is right. Held-out checks
(StackFAQ folds 3–4, CLINC150 validation) only report how well calibrated the fitted model is;
nothing is tuned on them, and test splits are not touched.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from benchmarks.datasets import (
    HELD_OUT_FOLDS,
    TRAIN_FOLDS,
    data_dir,
    load_stackfaq,
    pair_corpus,
    thread_corpus,
)
from kb.documents import SearchDocument, Source
from kb.embeddings import SentenceTransformerEmbedder
from kb.search import SearchEngine

RESULTS = Path(__file__).resolve().parent / "results"
Sample = tuple[float, float, int]  # dense similarity of the top hit, fused margin, top hit right?


def _features(
    engine: SearchEngine,
    questions: Iterable[tuple[str, set[str]]],
    thread_of: dict[str, str] | None = None,
) -> list[Sample]:
    """Search each question; record the confidence features and whether the top hit was right."""
    samples = []
    for text, relevant in questions:
        result = engine.search(text, limit=2)
        if not result.hits:
            samples.append((0.0, 0.0, 0))
            continue
        top = result.hits[0]
        margin = top.score - (result.hits[1].score if len(result.hits) > 1 else 0.0)
        label = (thread_of or {}).get(top.key, top.key) in relevant
        samples.append((top.dense_score, margin, int(label)))
    return samples


def stackfaq_samples(embedder: SentenceTransformerEmbedder, folds: frozenset[int]) -> list[Sample]:
    """Samples from StackFAQ at both levels, for the given query folds."""
    data = load_stackfaq()
    samples: list[Sample] = []
    for corpus in (thread_corpus(data), pair_corpus(data)):
        engine = SearchEngine(embedder)
        engine.build(corpus.documents)
        questions = [(q.text, {q.thread_id}) for q in data.queries if q.fold in folds]
        samples += _features(engine, questions, corpus.thread_of)
    return samples


def _jsonl(path: Path) -> list[dict[str, str]]:
    """JSONL rows."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def clinc_samples(embedder: SentenceTransformerEmbedder, *, held_out: bool) -> list[Sample]:
    """Samples from CLINC150: train split (80/20 within each intent), or validation when held out."""
    folder = data_dir() / "clinc150"
    examples: dict[str, list[str]] = defaultdict(list)
    for row in _jsonl(folder / "train.jsonl"):
        examples[row["intent"]].append(row["text"])
    keep = 100 if held_out else 80
    docs = [
        SearchDocument(
            key=f"intent:{i}",
            source=Source.OFFICIAL,
            ref=i,
            title=i.replace("_", " "),
            body=f"The {i.replace('_', ' ')} answer.",
            phrasings=tuple(texts[:keep]),
        )
        for i, texts in sorted(examples.items())
    ]
    engine = SearchEngine(embedder)
    engine.build(docs)
    if held_out:
        questions = [(r["text"], {f"intent:{r['intent']}"}) for r in _jsonl(folder / "val.jsonl")]
        oos = _jsonl(folder / "oos_val.jsonl")
    else:
        questions = [(t, {f"intent:{i}"}) for i, texts in examples.items() for t in texts[80:]]
        oos = _jsonl(folder / "oos_train.jsonl")
    questions += [(r["text"], set()) for r in oos]
    return _features(engine, questions)


def fit(samples: list[Sample]) -> tuple[float, float, float]:
    """Logistic regression of correctness on (dense, margin): bias, w_dense, w_margin."""
    from sklearn.linear_model import LogisticRegression

    x = np.asarray([(d, m) for d, m, _ in samples])
    y = np.asarray([label for _, _, label in samples])
    model = LogisticRegression(C=100.0, max_iter=1000).fit(x, y)
    return float(model.intercept_[0]), float(model.coef_[0][0]), float(model.coef_[0][1])


def reliability(
    samples: list[Sample], params: tuple[float, float, float]
) -> list[tuple[str, int, float, float]]:
    """(confidence bin, count, mean confidence, share right) for ten bins."""
    bias, w_dense, w_margin = params
    conf = [1 / (1 + np.exp(-(bias + w_dense * d + w_margin * m))) for d, m, _ in samples]
    rows = []
    for low in np.arange(0.0, 1.0, 0.1):
        inside = [
            (c, s[2])
            for c, s in zip(conf, samples, strict=True)
            if low <= c < low + 0.1 or (low >= 0.9 and c == 1.0)
        ]
        if inside:
            rows.append(
                (
                    f"{low:.1f}–{low + 0.1:.1f}",
                    len(inside),
                    float(np.mean([c for c, _ in inside])),
                    float(np.mean([y for _, y in inside])),
                )
            )
    return rows


def expected_calibration_error(rows: list[tuple[str, int, float, float]]) -> float:
    """Count-weighted mean gap between confidence and accuracy over the bins."""
    total = sum(n for _, n, _, _ in rows)
    return sum(n * abs(c - a) for _, n, c, a in rows) / total


def main(argv: list[str] | None = None) -> None:
    """Fit on training splits, print the coefficients and reliability tables."""
    embedder = SentenceTransformerEmbedder()
    train = stackfaq_samples(embedder, TRAIN_FOLDS) + clinc_samples(embedder, held_out=False)
    params = fit(train)
    held = stackfaq_samples(embedder, HELD_OUT_FOLDS) + clinc_samples(embedder, held_out=True)
    print("\n### Confidence calibration\n")
    print(
        f"Fitted on {len(train):,} training searches: bias {params[0]:.3f}, "
        f"w_dense {params[1]:.3f}, w_margin {params[2]:.3f}\n"
    )
    for name, samples in (("training", train), ("held out", held)):
        rows = reliability(samples, params)
        print(
            f"{name} ({len(samples):,} searches, expected calibration error "
            f"{expected_calibration_error(rows):.3f}):\n"
        )
        print("| confidence | searches | mean confidence | top hit right |\n|---|---|---|---|")
        for label, n, c, a in rows:
            print(f"| {label} | {n:,} | {c:.2f} | {a:.2f} |")
        print()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "calibration.json").write_text(json.dumps({"params": params}, indent=2))


if __name__ == "__main__":
    main()
