"""Quality on the hold-out sets, never trained on: all rows, and only the rows whose organisation
appears nowhere in data/examples.csv. Usage: python bench/quality.py [--model DIR]

- data/holdout.csv: 150 descriptions written separately by the curators' process.
- data/holdout_others.csv: 238 descriptions written by authors who never saw the training data,
  in the way others write about organisations (short, vague, marketing words), and labelled
  again blind (same label on all 240 rows written; 2 dropped as exact copies of training rows).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from socialtech_cli import Classifier
from socialtech_cli.train import metrics, metrics_by_lang

ROOT = Path(__file__).resolve().parents[1]
SETS = ("holdout.csv", "holdout_others.csv")


def main() -> None:
    model = sys.argv[sys.argv.index("--model") + 1] if "--model" in sys.argv else None
    clf = Classifier.load(model)
    with open(ROOT / "data" / "examples.csv", encoding="utf-8") as f:
        seen = {r["source"].casefold() for r in csv.DictReader(f) if r["source"] != "typical"}
    print(
        "| set | rows | accuracy | macro-F1 | macro-F1 fr | macro-F1 en |\n| --- | --- | --- | --- | --- | --- |"
    )
    for name in SETS:
        with open(ROOT / "data" / name, encoding="utf-8") as f:
            hold = list(csv.DictReader(f))
        subsets = {
            f"{name}, all rows": hold,
            f"{name}, organisations absent from the training data": [
                r for r in hold if r["source"] == "typical" or r["source"].casefold() not in seen
            ],
        }
        for label, rows in subsets.items():
            preds = [p.category for p in clf.classify_many([r["text"] for r in rows])]
            y = [r["label"] for r in rows]
            m = metrics(y, preds, clf.classes)
            by_lang = metrics_by_lang(y, preds, [r["lang"] for r in rows], clf.classes)
            print(
                f"| {label} | {len(rows)} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} | "
                f"{by_lang['fr']['macro_f1']:.3f} | {by_lang['en']['macro_f1']:.3f} |"
            )


if __name__ == "__main__":
    main()
