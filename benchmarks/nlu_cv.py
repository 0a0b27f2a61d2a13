"""Cross-validation of the assistant's NLU: ``rasa test nlu --cross-validation`` on training_data/nlu.yml.

    python -m benchmarks --only nlu_cv          (or python -m benchmarks.nlu_cv [--folds N] [--config PATH])

Rasa trains one model per fold and predicts the held-out fold; the pooled test predictions give
accuracy and per-intent precision, recall and F1 (Rasa's ``intent_report.json``), the fold means
come from Rasa's log. ``below threshold`` is the share of held-out examples whose top confidence is
under the ``FallbackClassifier`` threshold, i.e. that the live bot would treat as ``nlu_fallback``
(which goes to ``action_answer``). ``--quick`` runs 3 folds instead of 5.

``benchmarks/nlu_configs/`` holds the pipelines the shipped one was compared with. Pipelines with
the sentence encoder (``bot.sentence_encoder``) get the knowledge base's embedding model exported
here first (``kb.nlu_encoder``, as ``scripts/train-rasa.sh`` does).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
RASA = REPO / ".venv-rasa" / "bin" / "rasa"
RULES = REPO / "training_data" / "rules.yml"
FOLD_MEAN = re.compile(r"\b(train|test) (Accuracy|F1-score|Precision): ([\d.]+) \(([\d.]+)\)")
THRESHOLDS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]


def fallback_threshold(config: Path) -> float:
    """The FallbackClassifier threshold of a Rasa config (0 when it has none)."""
    pipeline = yaml.safe_load(config.read_text(encoding="utf-8")).get("pipeline") or []
    for component in pipeline:
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3))
    return 0.0


def intent_actions(rules: Path = RULES) -> dict[str, str]:
    """Intent → the action its rule runs (``training_data/rules.yml``)."""
    mapping = {}
    for rule in yaml.safe_load(rules.read_text(encoding="utf-8"))["rules"]:
        steps = rule["steps"]
        if len(steps) >= 2 and "intent" in steps[0] and "action" in steps[1]:
            mapping[steps[0]["intent"]] = steps[1]["action"]
    return mapping


def routing(predictions: list[dict[str, Any]], threshold: float) -> dict[str, float]:
    """How often a held-out message reaches the right action when NLU falls back below ``threshold``.

    ``routed``: share of all messages whose action is the one their gold intent maps to
    (``nlu_fallback`` runs ``action_answer``; for ``action_feedback`` the intent must be right too). ``questions answered``: share of ``ask_question``
    messages that reach ``action_answer``; ``wrongly answered``: share of the other messages that
    reach it (``choose_article`` counted right when it does).
    """
    actions = intent_actions()
    fallback = actions.get("nlu_fallback", "action_answer")
    right = questions = questions_right = others = others_to_answer = 0
    for row in predictions:
        gold = actions.get(row["intent"], row["intent"])
        predicted = row["intent_prediction"]
        action = (
            fallback
            if predicted["confidence"] < threshold
            else actions.get(predicted["name"], predicted["name"])
        )
        # affirm and deny both run action_feedback, but it must know which one it got.
        right += action == gold and (
            gold != "action_feedback" or predicted["name"] == row["intent"]
        )
        if row["intent"] == "ask_question":
            questions += 1
            questions_right += action == gold
        elif gold != fallback:
            others += 1
            others_to_answer += action == fallback
    return {
        "threshold": threshold,
        "routed": right / max(len(predictions), 1),
        "questions_answered": questions_right / max(questions, 1),
        "wrongly_answered": others_to_answer / max(others, 1),
    }


def encoder_bundle() -> Path:
    """The NLU encoder bundle of the configured embedding model (exported once)."""
    from kb.config import Settings
    from kb.nlu_encoder import export_encoder

    settings = Settings()
    return export_encoder(settings.embedding_model, settings.cache_dir).path


def run_cv(config: Path, nlu: Path, folds: int, out: Path) -> tuple[str, float]:
    """Run Rasa's cross-validation into ``out``; its log and the wall time in seconds."""
    if not RASA.exists():
        raise SystemExit(f"{RASA} not found: run `make rasa-env` first")
    command = [
        str(RASA),
        "test",
        "nlu",
        "--cross-validation",
        "--folds",
        str(folds),
        "--config",
        str(config),
        "--nlu",
        str(nlu),
        "--out",
        str(out),
        "--successes",
        "--no-plot",
    ]
    leaky = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    env = {k: v for k, v in os.environ.items() if k not in leaky}
    # Rasa's training cache would otherwise fill .rasa/ in the checkout with every fold's models.
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        RASA_CACHE_DIRECTORY=str(out / "rasa-cache"),
    )
    # Rasa imports bot.sentence_encoder from the checkout; it trains from the exported bundle.
    env["PYTHONPATH"] = str(REPO)
    env["TIER0_NLU_ENCODER"] = str(encoder_bundle())
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    log = done.stdout + done.stderr
    if done.returncode:
        raise SystemExit(f"rasa test nlu failed:\n{log[-3000:]}")
    return log, elapsed


def summarise(out: Path, log: str, threshold: float) -> dict[str, Any]:
    """Per-intent and overall figures from Rasa's reports in ``out`` and its log."""
    report = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    predictions = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        if path.exists():
            predictions += json.loads(path.read_text(encoding="utf-8"))
    low = Counter(
        row["intent"] for row in predictions if row["intent_prediction"]["confidence"] < threshold
    )
    intents = {}
    for name, row in report.items():
        if not isinstance(row, dict) or name in {"macro avg", "weighted avg", "micro avg"}:
            continue
        confused = row.get("confused_with") or {}
        intents[name] = {
            "support": row["support"],
            "precision": row["precision"],
            "recall": row["recall"],
            "f1": row["f1-score"],
            "below_threshold": low[name] / row["support"] if row["support"] else 0.0,
            "confused_with": confused,
        }
    # Rasa logs the intent results first, then the entity results with the same labels.
    intent_log = log.split("Entity evaluation results", maxsplit=1)[0]
    fold_means = {
        f"{split} {metric}": {"mean": float(mean), "std": float(std)}
        for split, metric, mean, std in FOLD_MEAN.findall(intent_log)
    }
    return {
        "accuracy": report.get("accuracy", report.get("micro avg", {}).get("f1-score")),
        "macro_f1": report["macro avg"]["f1-score"],
        "weighted_f1": report["weighted avg"]["f1-score"],
        "below_threshold": sum(low.values()) / max(len(predictions), 1),
        "threshold": threshold,
        "fold_means": fold_means,
        "routing": [routing(predictions, t) for t in sorted({*THRESHOLDS, threshold})],
        "intents": intents,
    }


def print_tables(summary: dict[str, Any], *, config: str, folds: int, elapsed: float) -> None:
    """Markdown tables of the summary."""
    print(f"\n### NLU cross-validation ({folds} folds, `{config}`)\n")
    print(
        "| accuracy | macro F1 | weighted F1 | test accuracy per fold (mean ± sd) | "
        f"below threshold {summary['threshold']:.2f} | wall time |"
    )
    print("|---|---|---|---|---|---|")
    fold = summary["fold_means"].get("test Accuracy", {"mean": float("nan"), "std": float("nan")})
    print(
        f"| {summary['accuracy']:.3f} | {summary['macro_f1']:.3f} | {summary['weighted_f1']:.3f} | "
        f"{fold['mean']:.3f} ± {fold['std']:.3f} | {summary['below_threshold']:.1%} | "
        f"{elapsed:.0f} s ({elapsed / folds:.0f} s per fold) |"
    )
    print(
        "\nRouting (intent → action by rules.yml; below the threshold → nlu_fallback → "
        "action_answer):\n"
    )
    print(
        "| fallback threshold | routed right | questions reach action_answer | "
        "other messages reach action_answer |"
    )
    print("|---|---|---|---|")
    for row in summary["routing"]:
        mark = " (config)" if row["threshold"] == summary["threshold"] else ""
        print(
            f"| {row['threshold']:.2f}{mark} | {row['routed']:.3f} | "
            f"{row['questions_answered']:.3f} | {row['wrongly_answered']:.3f} |"
        )
    print("\n| intent | examples | precision | recall | F1 | below threshold | confused with |")
    print("|---|---|---|---|---|---|---|")
    for name, row in sorted(summary["intents"].items(), key=lambda item: -item[1]["support"]):
        confused = ", ".join(f"{k} ({v})" for k, v in row["confused_with"].items())
        print(
            f"| {name} | {row['support']} | {row['precision']:.3f} | {row['recall']:.3f} | "
            f"{row['f1']:.3f} | {row['below_threshold']:.1%} | {confused or '—'} |"
        )


def main(argv: list[str] | None = None) -> None:
    """Cross-validate the NLU pipeline and print Markdown tables."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.nlu_cv", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 folds instead of 5")
    parser.add_argument("--folds", type=int, default=None, help="number of folds (default 5)")
    parser.add_argument("--config", type=Path, default=REPO / "config.yml")
    parser.add_argument("--nlu", type=Path, default=REPO / "training_data" / "nlu.yml")
    args = parser.parse_args(argv)
    folds = args.folds or (3 if args.quick else 5)
    config = args.config.resolve()
    with tempfile.TemporaryDirectory(prefix="tier0-nlu-cv-") as tmp:
        log, elapsed = run_cv(config, args.nlu.resolve(), folds, Path(tmp))
        summary = summarise(Path(tmp), log, fallback_threshold(config))
    shown = config.relative_to(REPO) if config.is_relative_to(REPO) else config
    print_tables(summary, config=str(shown), folds=folds, elapsed=elapsed)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "nlu_cv.json" if config == (REPO / "config.yml") else f"nlu_cv-{config.stem}.json"
    (RESULTS / name).write_text(
        json.dumps({"config": str(shown), "folds": folds, "seconds": elapsed, **summary}, indent=2),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
