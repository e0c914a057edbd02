"""Presentation: rich panels and tables for people, JSON-ready dicts for scripts. Nothing else prints."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from .classify import Prediction
    from .taxonomy import Taxonomy

_LABELS = {
    "en": {
        "family": "Family",
        "confidence": "Confidence",
        "uncertain": "UNCERTAIN: check by hand",
        "runner_up": "Runner-up",
        "for": "Words for {cat}",
        "against": "Words for the runner-up",
        "rules": "Rules fired",
        "no_rules": "none",
        "no_words": "none",
        "how": "How",
        "combined": "Combination",
        "model": "Model alone",
        "id": "id",
        "name": "name",
        "examples": "article examples",
        "matched": "matched",
    },
    "fr": {
        "family": "Famille",
        "confidence": "Confiance",
        "uncertain": "INCERTAIN : à vérifier",
        "runner_up": "Deuxième choix",
        "for": "Mots pour {cat}",
        "against": "Mots pour le deuxième choix",
        "rules": "Règles déclenchées",
        "no_rules": "aucune",
        "no_words": "aucun",
        "how": "Décision",
        "combined": "Combinaison",
        "model": "Modèle seul",
        "id": "id",
        "name": "nom",
        "examples": "exemples de l'article",
        "matched": "a reconnu",
    },
}


def labels(lang: str) -> dict[str, str]:
    return _LABELS["fr" if lang == "fr" else "en"]


def to_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)


def _bar(x: float, width: int = 20) -> str:
    full = round(x * width)
    return "█" * full + "░" * (width - full)


def prediction_panel(p: Prediction, taxonomy: Taxonomy) -> Panel:
    L = labels(p.lang)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    colour = "yellow" if p.uncertain else "green"
    conf = Text(f"{p.confidence:.0%} ", style=f"bold {colour}")
    conf.append(_bar(p.confidence), style=colour)
    if p.uncertain:
        conf.append(f"  {L['uncertain']}", style="bold yellow")
    grid.add_row(L["family"], p.family)
    grid.add_row(L["confidence"], conf)
    grid.add_row(L["runner_up"], f"{p.runner_up.name} ({p.runner_up.category}) {p.runner_up.confidence:.0%}")
    pos = [t for t in p.explanation.terms if t.weight > 0]
    neg = [t for t in p.explanation.terms if t.weight < 0]
    grid.add_row(L["for"].format(cat=p.category), _terms(pos, "green") or L["no_words"])
    grid.add_row(L["against"], _terms(neg, "red") or L["no_words"])
    if p.explanation.rules:
        rules = Text()
        for i, h in enumerate(p.explanation.rules):
            if i:
                rules.append("\n")
            rules.append(h.id, style="cyan")
            rules.append(f' {L["matched"]} "{h.match}" → {h.category} (+{h.weight:g})')
        grid.add_row(L["rules"], rules)
    else:
        grid.add_row(L["rules"], L["no_rules"])
    m = p.explanation.model
    grid.add_row(L["model"], f"{m['category']} {m['confidence']:.0%}")
    grid.add_row(L["combined"], Text(p.explanation.combination, style="dim"))
    grid.add_row(L["how"], p.explanation.summary)
    title = Text(f"{p.name}", style=f"bold {colour}")
    title.append(f"  [{p.category}]", style="dim")
    return Panel(grid, title=title, title_align="left", border_style=colour)


def _terms(terms: Sequence[Any], style: str) -> Text:
    out = Text()
    for i, t in enumerate(terms):
        if i:
            out.append(", ")
        out.append(t.term, style=style)
        out.append(f" {t.weight:+.2f}", style="dim")
    return out


def categories_table(taxonomy: Taxonomy, lang: str) -> Table:
    L = labels(lang)
    table = Table(show_lines=True)
    table.add_column(L["id"], style="cyan", no_wrap=True)
    table.add_column(L["name"], style="bold")
    table.add_column(L["family"])
    table.add_column(L["examples"])
    for c in taxonomy.categories:
        table.add_row(
            c.id,
            Group(Text(c.name(lang), style="bold"), Text(c.description(lang), style="dim")),
            c.family,
            "\n".join(c.examples),
        )
    return table


def categories_json(taxonomy: Taxonomy) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "family": c.family,
            "name": {"fr": c.name_fr, "en": c.name_en},
            "description": {"fr": c.description_fr, "en": c.description_en},
            "examples": list(c.examples),
        }
        for c in taxonomy.categories
    ]


def batch_summary(s: Any) -> Table:
    table = Table(
        title=f"{s.rows:,} rows in {s.seconds:.1f} s ({s.rows / max(s.seconds, 1e-9):,.0f} rows/s)",
        title_justify="left",
    )
    table.add_column("category", style="cyan")
    table.add_column("rows", justify="right")
    for cat, n in s.per_category.most_common():
        table.add_row(cat, f"{n:,}")
    table.add_row("[yellow]uncertain (of the above)", f"[yellow]{s.uncertain:,}")
    table.add_row("[red]errors", f"[red]{s.errors:,}")
    if s.ragged:
        table.add_row("[dim]ragged rows (kept, padded or merged)", f"[dim]{s.ragged:,}")
    if s.written != s.rows:
        table.add_row("written (--only-uncertain)", f"{s.written:,}")
    return table


_STATUS = {"pass": "[bold green]PASS", "warn": "[bold yellow]WARN", "fail": "[bold red]FAIL"}


def validation_report(report: Any) -> Group:
    parts: list[Any] = []
    if report.problems:
        table = Table(show_header=True, header_style="bold")
        table.add_column("level")
        table.add_column("where", style="cyan", overflow="fold")
        table.add_column("problem", overflow="fold")
        for p in report.problems:
            colour = "red" if p.level == "fail" else "yellow"
            table.add_row(f"[{colour}]{p.level}", p.where(), p.message)
        parts.append(table)
    fails = sum(p.level == "fail" for p in report.problems)
    warns = sum(p.level == "warn" for p in report.problems)
    parts.append(
        Text.from_markup(
            f"{_STATUS[report.status]}[/]  {report.examples} examples · {fails} failure(s) · {warns} warning(s)"
        )
    )
    return Group(*parts)


def _metrics_table(cv: dict[str, Any], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("")
    for col in ("accuracy", "macro-F1", "macro-F1 fr", "macro-F1 en"):
        table.add_column(col, justify="right")
    for name, label in (("rules", "rules alone"), ("model", "model alone"), ("combined", "combined")):
        m = cv[name]
        table.add_row(
            label,
            f"{m['accuracy']:.3f}",
            f"{m['macro_f1']:.3f}",
            f"{m['by_lang'].get('fr', {}).get('macro_f1', 0):.3f}",
            f"{m['by_lang'].get('en', {}).get('macro_f1', 0):.3f}",
            style="bold" if name == "combined" else None,
        )
    return table


def _per_class_table(m: dict[str, Any]) -> Table:
    table = Table(title="combined, per category", title_justify="left")
    table.add_column("category", style="cyan")
    for col in ("precision", "recall", "F1", "n"):
        table.add_column(col, justify="right")
    for c, v in m["per_class"].items():
        table.add_row(c, f"{v['precision']:.3f}", f"{v['recall']:.3f}", f"{v['f1']:.3f}", str(v["support"]))
    return table


def _confusion_table(conf: dict[str, Any]) -> Table:
    labels = conf["labels"]
    short = [c.split("_")[0][:4] + "_" + c.split("_")[-1][:5] for c in labels]
    table = Table(title="confusion (rows: true label, columns: predicted)", title_justify="left")
    table.add_column("", style="cyan")
    for s in short:
        table.add_column(s, justify="right")
    for label, row in zip(labels, conf["matrix"], strict=True):
        cells = [
            f"[bold green]{v}" if i == labels.index(label) else (f"[red]{v}" if v else "·")
            for i, v in enumerate(row)
        ]
        table.add_row(label, *cells)
    return table


def train_report(meta: dict[str, Any], where: str) -> Group:
    cv = meta["metrics"]["cv"]
    d = meta["decision"]
    head = Text.from_markup(
        f"[bold green]model written[/] to {where}\n"
        f"{meta['data']['examples']} examples · C={meta['classifier']['C']:g} · rule weight α={d['alpha']:g} · "
        f"threshold {d['threshold']:.3f}: {d['cv_auto_labelled_share']:.0%} of rows auto-labelled at "
        f"{d['cv_precision_at_threshold']:.1%} precision (target {d['target_precision']:.0%})"
    )
    parts: list[Any] = [
        head,
        _metrics_table(cv, f"{cv['folds']}-fold cross-validation, grouped by organisation"),
    ]
    rep = cv.get("repeated")
    if rep and rep["repeats"] > 1:
        mean, std = rep["mean"], rep["std"]
        parts.append(
            Text(
                f"combined macro-F1 over {rep['repeats']} different splits (mean ± sd): "
                + ", ".join(f"{k} {mean[k]:.3f} ± {std[k]:.3f}" for k in mean)
            )
        )
    return Group(
        *parts,
        _per_class_table(cv["combined"]),
        _confusion_table(cv["confusion"]),
    )


def evaluation_report(ev: Any) -> Group:
    m = ev.metrics
    parts: list[Any] = [
        Text(f"model {ev.model} on {', '.join(ev.data)}"),
        _metrics_table(m, "evaluation"),
        _per_class_table(m["combined"]),
        _confusion_table(m["confusion"]),
        Text.from_markup(
            f"abstention: threshold {m['abstention']['threshold']:.3f}, "
            f"{m['abstention']['auto_labelled_share']:.0%} auto-labelled at {m['abstention']['precision_auto']:.1%} precision"
        ),
    ]
    if ev.worst:
        table = Table(title="worst errors (most confident first)", title_justify="left", show_lines=True)
        table.add_column("text", overflow="fold", ratio=3)
        table.add_column("label → predicted", style="cyan", ratio=1)
        table.add_column("why", overflow="fold", ratio=2)
        for e in ev.worst:
            why = f"words: {', '.join(e.words) or '-'}" + (
                f"; rules: {', '.join(e.rules)}" if e.rules else ""
            )
            table.add_row(e.text, f"{e.label} → [red]{e.predicted}[/] ({e.confidence:.0%})", why)
        parts.append(table)
    if ev.learning_curve:
        lc = ev.learning_curve
        table = Table(
            title="learning curve: out-of-fold F1 by share of the training data", title_justify="left"
        )
        table.add_column("category", style="cyan")
        for f in lc["fractions"]:
            table.add_column(f"{f:.0%}", justify="right")
        for c, vals in lc["per_class_f1"].items():
            table.add_row(c, *(f"{v:.3f}" for v in vals))
        table.add_row("[bold]macro-F1", *(f"[bold]{v:.3f}" for v in lc["macro_f1"]))
        parts.append(table)
    return Group(*parts)


def review_card(item: Any, n: int, total: int, ids: list[str]) -> Panel:
    body = Text()
    body.append(item.text + "\n\n")
    body.append("label: ", style="bold")
    body.append(item.label or "-", style="cyan")
    body.append("   model suggests: ", style="bold")
    body.append(f"{item.suggestion} ({item.confidence:.0%})\n", style="magenta")
    body.append("why in doubt: ", style="bold")
    body.append("; ".join(item.reasons) + "\n\n")
    body.append(
        "a accept   " + "   ".join(f"{i + 1} {c}" for i, c in enumerate(ids)) + "   s skip   q quit",
        style="dim",
    )
    return Panel(body, title=f"{n}/{total}  {item.id}", title_align="left")


def audit_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="keyword rules on the curated examples", title_justify="left")
    table.add_column("rule", style="cyan")
    table.add_column("category")
    table.add_column("fires", justify="right")
    table.add_column("precision", justify="right")
    table.add_column("wrong labels", overflow="fold")
    table.add_column("conflicting rules", overflow="fold")
    for r in rows:
        p = "-" if r["precision"] is None else f"{r['precision']:.2f}"
        colour = "red" if r["precision"] is not None and r["precision"] < 0.6 else "green"
        table.add_row(
            r["id"],
            r["category"],
            str(r["fires"]),
            f"[{colour}]{p}",
            ", ".join(f"{k} {v}" for k, v in r["wrong_labels"].items()),
            ", ".join(f"{k} {v}" for k, v in r["conflicting_rules"].items()),
        )
    return table
