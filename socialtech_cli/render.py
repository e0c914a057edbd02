"""Presentation: rich panels and tables for people, JSON-ready dicts for scripts. Nothing else prints."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

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
            rules.append(f' matched "{h.match}" → {h.category} (+{h.weight:g})')
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
