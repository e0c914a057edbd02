"""Quality on the hold-out set (data/holdout.csv, never trained on): all rows, and only the rows
whose organisation appears nowhere in data/examples.csv. Usage: python bench/quality.py"""

from __future__ import annotations

import csv
from pathlib import Path

from socialtech_cli import Classifier
from socialtech_cli.train import metrics

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    clf = Classifier.load()
    with open(ROOT / "data" / "examples.csv", encoding="utf-8") as f:
        seen = {r["source"].casefold() for r in csv.DictReader(f) if r["source"] != "typical"}
    with open(ROOT / "data" / "holdout.csv", encoding="utf-8") as f:
        hold = list(csv.DictReader(f))
    subsets = {
        "hold-out, all rows": hold,
        "hold-out, organisations absent from the training data": [
            r for r in hold if r["source"] == "typical" or r["source"].casefold() not in seen
        ],
    }
    print(
        "| set | rows | accuracy | macro-F1 | macro-F1 fr | macro-F1 en |\n| --- | --- | --- | --- | --- | --- |"
    )
    for name, rows in subsets.items():
        preds = [p.category for p in clf.classify_many([r["text"] for r in rows])]
        cells = [metrics([r["label"] for r in rows], preds, clf.classes)]
        for lang in ("fr", "en"):
            idx = [i for i, r in enumerate(rows) if r["lang"] == lang]
            cells.append(metrics([rows[i]["label"] for i in idx], [preds[i] for i in idx], clf.classes))
        print(
            f"| {name} | {len(rows)} | {cells[0]['accuracy']:.3f} | {cells[0]['macro_f1']:.3f} | "
            f"{cells[1]['macro_f1']:.3f} | {cells[2]['macro_f1']:.3f} |"
        )


if __name__ == "__main__":
    main()
