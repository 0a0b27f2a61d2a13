"""Answer-or-escalate on CLINC150 through ``tier0 kb eval``.

The 150 intents become FAQs whose phrasings are their training examples. The answer threshold is
chosen on the validation split (val + oos_val) only (see :func:`choose`); the test split (test +
oos_test) is then scored at the chosen thresholds.
Published on the same split: Rasa 91.5 / 45.3 and BERT 96.2 / 52.3 (in-scope accuracy / OOS recall).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.datasets import data_dir

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 20)]


def _rows(path: Path) -> list[dict[str, Any]]:
    """JSONL rows."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def write_inputs(folder: Path) -> dict[str, Path]:
    """FAQ, validation and test query files in the ``tier0 kb eval`` formats."""
    clinc = data_dir() / "clinc150"
    examples: dict[str, list[str]] = defaultdict(list)
    for row in _rows(clinc / "train.jsonl"):
        examples[row["intent"]].append(row["text"])
    faqs = folder / "faqs.jsonl"
    with faqs.open("w", encoding="utf-8") as out:
        for intent, texts in sorted(examples.items()):
            name = intent.replace("_", " ")
            out.write(
                json.dumps(
                    {
                        "faq_id": intent,
                        "question": name,
                        "answer": f"The {name} answer.",
                        "phrasings": texts,
                    }
                )
                + "\n"
            )
    paths = {"faqs": faqs}
    for split, files in {"val": ("val", "oos_val"), "test": ("test", "oos_test")}.items():
        path = folder / f"{split}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for name in files:
                for row in _rows(clinc / f"{name}.jsonl"):
                    relevant = [row["intent"]] if row["intent"] != "oos" else []
                    out.write(
                        json.dumps({"text": row["text"], "relevant_faq_ids": relevant}) + "\n"
                    )
        paths[split] = path
    return paths


def run_eval(paths: dict[str, Path], split: str, threshold: float, out: Path) -> dict[str, Any]:
    """``tier0 kb eval`` on one split at one answer threshold."""
    command = [
        str(Path(sys.executable).with_name("tier0")),
        "kb",
        "eval",
        "--faqs",
        str(paths["faqs"]),
        "--queries",
        str(paths[split]),
        "--answer-threshold",
        str(threshold),
        "--predictions",
        str(out),
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode:
        raise SystemExit(f"tier0 kb eval failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout))


def sweep(predictions: Path, queries: Path) -> list[tuple[float, float, float]]:
    """(threshold, in-scope accuracy, OOS recall) for each candidate threshold."""
    gold = [row["relevant_faq_ids"] for row in _rows(queries)]
    rows = _rows(predictions)
    found = []
    for threshold in THRESHOLDS:
        right = oos = n_in = n_oos = 0
        for relevant, row in zip(gold, rows, strict=True):
            answered = row["confidence"] >= threshold and row["top"]
            if relevant:
                n_in += 1
                right += bool(answered and row["top"][0] in relevant)
            else:
                n_oos += 1
                oos += not answered
        found.append((threshold, right / n_in, oos / n_oos))
    return found


def choose(curve: list[tuple[float, float, float]]) -> dict[str, float]:
    """Two operating points chosen on validation: the product's, and a balanced one.

    ``product``: the highest OOS recall that keeps in-scope accuracy within 2 points of its best
    (answering right matters most; hand over what can be handed over without losing answers).
    ``balanced``: the best mean of in-scope accuracy and OOS recall.
    """
    best = max(acc for _, acc, _ in curve)
    product = max((t for t in curve if t[1] >= best - 0.02), key=lambda t: (t[2], t[1]))
    balanced = max(curve, key=lambda t: (t[1] + t[2]) / 2)
    return {"product": product[0], "balanced": balanced[0]}


def main(argv: list[str] | None = None) -> None:
    """Tune on validation, score test, print a Markdown table (``--quick`` changes nothing)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tier0-clinc-") as tmp:
        paths = write_inputs(Path(tmp))
        val_predictions = Path(tmp) / "val-predictions.jsonl"
        run_eval(paths, "val", 1.0, val_predictions)
        curve = sweep(val_predictions, paths["val"])
        chosen = choose(curve)
        test_predictions = RESULTS / "clinc-test-predictions.jsonl"
        test = run_eval(paths, "test", chosen["product"], test_predictions)
        test_curve = {t: (acc, rec) for t, acc, rec in sweep(test_predictions, paths["test"])}
    print("\n### CLINC150 answer-or-escalate (`tier0 kb eval`)\n")
    print("Validation sweep (answer threshold → in-scope accuracy / OOS recall):\n")
    print("| threshold | in-scope accuracy | OOS recall |\n|---|---|---|")
    for t, acc, rec in curve:
        mark = "".join(f" **({name})**" for name, value in chosen.items() if value == t)
        print(f"| {t:.2f}{mark} | {acc:.3f} | {rec:.3f} |")
    print("\nTest split (test + oos_test) at the thresholds chosen on validation:\n")
    print("| system | in-scope accuracy | OOS recall |\n|---|---|---|")
    print(
        f"| Tier0, product point (threshold {chosen['product']:.2f}, `tier0 kb eval`) | "
        f"{test['answered_accuracy']:.3f} | {test['oos_recall']:.3f} |"
    )
    acc, rec = test_curve[chosen["balanced"]]
    print(f"| Tier0, balanced point (threshold {chosen['balanced']:.2f}) | {acc:.3f} | {rec:.3f} |")
    print("| Rasa (published) | 0.915 | 0.453 |\n| BERT (published) | 0.962 | 0.523 |")
    print(
        f"\nRanking on test (in-scope): MRR@10 {test['mrr@10']:.3f}, "
        f"Recall@1 {test['recall@1']:.3f} (the ceiling of in-scope accuracy)."
    )
    (RESULTS / "clinc.json").write_text(
        json.dumps({"chosen": chosen, "validation": curve, "test": test}, indent=2), "utf-8"
    )


if __name__ == "__main__":
    main()
