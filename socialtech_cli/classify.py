"""The one decision function: model probabilities and keyword rules combined, with an explanation.

Combination (chosen by cross-validation, see train.py and the README):

    p(c | text) = softmax_c( log p_model(c | text) + alpha * rule_score(c) )

where rule_score(c) is the summed weight of the rules of category c that fire. With no rule the
model decides alone; a rule shifts a weak model answer, but cannot override a confident one.
The answer is flagged `uncertain` when the combined confidence is below the model's threshold
(picked from out-of-fold predictions for a target precision), or when the text holds no known
word and fires no rule.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from . import paths, text
from .errors import InputError
from .model import ModelBundle, SparseRows, load_bundle, softmax_row
from .rules import RuleHit, RuleSet, load_rules
from .taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    import numpy as np

MAX_CHARS = 100_000
N_TERMS = 5  # words shown for and against
MIN_TERM_WEIGHT = 0.005  # smaller contributions are noise to a reader
DECIDED_BY = ("agree", "model", "rules", "conflict", "no_evidence")


@dataclass(frozen=True)
class RunnerUp:
    category: str
    name: str
    confidence: float


class TermWeight(NamedTuple):
    term: str
    weight: float  # > 0 pushes to the chosen category, < 0 to the runner-up


@dataclass(frozen=True)
class Explanation:
    terms: list[TermWeight]
    rules: list[RuleHit]
    decided_by: str
    summary: str
    model: dict[str, Any]  # the model's own answer before the rules: category, confidence
    combination: str


@dataclass(frozen=True)
class Prediction:
    category: str
    name: str
    family: str
    confidence: float
    uncertain: bool
    runner_up: RunnerUp
    scores: dict[str, float]
    explanation: Explanation
    lang: str
    threshold: float = field(default=0.0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with probabilities and weights rounded to 4 decimals."""
        d = asdict(self)
        d["confidence"] = round(self.confidence, 4)
        d["runner_up"]["confidence"] = round(self.runner_up.confidence, 4)
        d["scores"] = {c: round(p, 4) for c, p in self.scores.items()}
        e = d["explanation"]
        e["terms"] = [{"term": t.term, "weight": round(t.weight, 4)} for t in self.explanation.terms]
        e["rules"] = [h.to_dict() for h in self.explanation.rules]
        e["model"]["confidence"] = round(e["model"]["confidence"], 4)
        return d


class Label(NamedTuple):
    """One batch row's labels (see Classifier.label_many)."""

    category: str
    name: str
    confidence: float
    runner_up: str
    uncertain: bool
    decided_by: str
    rules: list[RuleHit]
    words: list[str]  # the words that weighed most for the category


@dataclass(frozen=True)
class Scored:
    """Raw arrays for a batch of texts: what evaluation and training need, no explanation."""

    model_proba: np.ndarray
    rule_scores: np.ndarray
    proba: np.ndarray
    has_evidence: np.ndarray
    order: np.ndarray  # categories per text, most probable first
    x: SparseRows
    matches: list[list[tuple[int, int, int]]]  # rule matches per text (RuleSet.match_tokens)


def check_text(value: object) -> str | None:
    """Why a text cannot be classified, or None when it can."""
    if not isinstance(value, str):
        return "the text is not a string"
    if not value.strip():
        return "the text is empty"
    if len(value) > MAX_CHARS:
        return (
            f"the text is too long ({len(value):,} characters; the limit is {MAX_CHARS:,}): "
            "give a description of the organisation, not a whole document"
        )
    if "\x00" in value:
        return "the text contains NUL bytes: is it a binary file?"
    if not text.has_letters(value):
        return "the text has no letters"
    return None


def combine(model_proba: np.ndarray, rule_scores: np.ndarray, alpha: float) -> np.ndarray:
    """The decision rule (see the module docstring), vectorised over rows."""
    import numpy as np

    from .model import softmax

    return softmax(np.log(np.clip(model_proba, 1e-12, None)) + alpha * rule_scores)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small result objects: they hold no
    reference cycles (reference counting frees them), and the collector's passes over them cost
    about a quarter of classify_many's time. Restores the previous state."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _partition(values: list[str], raise_first: bool) -> tuple[list[Any], list[int]]:
    """An output list holding an InputError where a text cannot be classified (or raise the
    first one), and the indices of the texts to score."""
    out: list[Any] = [None] * len(values)
    good: list[int] = []
    for i, v in enumerate(values):
        problem = check_text(v)
        if problem is None:
            good.append(i)
        elif raise_first:
            raise InputError(problem)
        else:
            out[i] = InputError(problem)
    return out, good


def combine_row(model_p: Sequence[float], rule_row: Sequence[float], alpha: float) -> list[float]:
    """combine() for one text, in pure Python."""
    import math

    return softmax_row([math.log(max(p, 1e-12)) + alpha * r for p, r in zip(model_p, rule_row, strict=True)])


def abstains(confidence: float, threshold: float, evidence: bool) -> bool:
    """The `uncertain` flag: weak confidence, or nothing in the text to go on."""
    return confidence < threshold or not evidence


def decided_by(model_top: int, final: int, rule_row: Sequence[float], evidence: bool) -> str:
    if not evidence:
        return "no_evidence"
    if max(rule_row) <= 0:
        return "model"
    rule_top = max(range(len(rule_row)), key=rule_row.__getitem__)
    if rule_top == final:
        return "agree" if model_top == final else "rules"
    return "conflict"


_SUMMARIES = {
    "en": {
        "agree": "The model ({m}) and the rule(s) {rules} agree on {cat}; combined confidence {conf}.",
        "model": "No keyword rule fired: the model decided alone ({conf}).",
        "rules": "The model leaned to {mcat} ({m}), but the rule(s) {rules} moved the decision "
        "to {cat} ({conf}).",
        "conflict": "The rule(s) {rules} pointed elsewhere, but the model's evidence for {cat} "
        "was stronger ({conf}).",
        "no_evidence": "No word the model knows and no rule speaks for {cat}: the answer rests on "
        "base rates alone, so it is flagged uncertain.",
        "uncertain": " Below the confidence threshold ({t}): flagged uncertain, check it.",
        "combination": "softmax(log p_model + {a} × rule weight): rules shift a weak model answer "
        "but cannot override a confident one",
    },
    "fr": {
        "agree": "Le modèle ({m}) et la ou les règles {rules} s'accordent sur {cat} ; confiance "
        "combinée {conf}.",
        "model": "Aucune règle par mots-clés ne s'applique : le modèle a décidé seul ({conf}).",
        "rules": "Le modèle penchait pour {mcat} ({m}), mais la ou les règles {rules} ont fait "
        "basculer la décision vers {cat} ({conf}).",
        "conflict": "La ou les règles {rules} indiquaient une autre catégorie, mais les indices "
        "du modèle pour {cat} étaient plus forts ({conf}).",
        "no_evidence": "Aucun mot connu du modèle ni aucune règle ne plaide pour {cat} : la réponse "
        "ne repose que sur les fréquences de base, elle est donc marquée incertaine.",
        "uncertain": " Sous le seuil de confiance ({t}) : réponse incertaine, à vérifier.",
        "combination": "softmax(log p_modèle + {a} × poids des règles) : les règles déplacent "
        "une réponse faible du modèle sans pouvoir renverser une réponse sûre",
    },
}


def _pct(x: float) -> str:
    return f"{x:.0%}"


class Classifier:
    """Model + rules + taxonomy, loaded once; classify one text or many (vectorised)."""

    def __init__(self, bundle: ModelBundle, rules: RuleSet, taxonomy: Taxonomy) -> None:
        self.bundle = bundle
        self.rules = rules
        self.taxonomy = taxonomy
        self.classes = bundle.linear.classes
        self.threshold = bundle.threshold
        self.alpha = bundle.alpha
        self._categories = {c.id: c for c in taxonomy.categories}
        self._names = {lang: {c.id: c.name(lang) for c in taxonomy.categories} for lang in ("fr", "en")}
        self._combination = tuple(
            _SUMMARIES[lang]["combination"].format(a=f"{self.alpha:g}") for lang in ("en", "fr")
        )
        unknown = [c for c in self.classes if c not in taxonomy.ids]
        if unknown:
            from .errors import ModelError

            raise ModelError(
                f"the model predicts categories missing from the taxonomy: {', '.join(unknown)}",
                path=str(bundle.path),
            )

    @classmethod
    def load(cls, path: str | Path | None = None, taxonomy_path: Path | None = None) -> Classifier:
        """The model at `path`, or the default one (see `paths.resolve_model_dir`)."""
        from .model import RULES_FILE

        model_dir, _ = paths.resolve_model_dir(path)
        bundle = load_bundle(model_dir)
        taxonomy = load_taxonomy(taxonomy_path)
        # The rules the model was tuned with travel with it, so alpha and threshold stay valid.
        rules = load_rules(model_dir / RULES_FILE, taxonomy)
        return cls(bundle, rules, taxonomy)

    def warnings(self) -> list[str]:
        """Non-fatal doubts about the loaded model (a model from another socialtech version)."""
        from . import __version__

        trained = self.bundle.meta.get("versions", {}).get("socialtech")
        if trained and trained != __version__:
            return [
                f"this model was trained with socialtech {trained}; this is {__version__}: retrain if results look off"
            ]
        return []

    # -- raw scoring, shared by classify_many, evaluation and training ---------------------------

    def score_tokens(self, token_lists: Sequence[list[str]]) -> Scored:
        import numpy as np

        linear = self.bundle.linear
        x = linear.vectorize([text.features_from_tokens(t) for t in token_lists])
        model_proba = linear.predict_proba(x)
        matches = [self.rules.match_tokens(t) for t in token_lists]
        rule_scores = np.array(
            [self.rules.scores(t, self.classes, m) for t, m in zip(token_lists, matches, strict=True)],
            dtype=np.float64,
        ).reshape(len(token_lists), len(self.classes))
        proba = combine(model_proba, rule_scores, self.alpha)
        # Evidence: a word that weighs for the chosen category against the runner-up (what the
        # explanation lists), or a rule for it. Without either, the answer is the base rates.
        order = np.argsort(-proba, axis=1, kind="stable")
        top, second = order[:, 0], order[:, 1]
        coef = linear.np_coef
        diff = x.vals * (coef[x.cols, top[x.rows]] - coef[x.cols, second[x.rows]])
        word_for = np.bincount(x.rows[diff >= MIN_TERM_WEIGHT], minlength=x.n) > 0
        evidence = word_for | (rule_scores[np.arange(x.n), top] > 0)
        return Scored(model_proba, rule_scores, proba, evidence, order, x, matches)

    def score(self, texts: Sequence[str]) -> Scored:
        return self.score_tokens([text.tokens(t) for t in texts])

    # -- public API -------------------------------------------------------------------------------

    def classify(self, value: str, lang: str | None = None, threshold: float | None = None) -> Prediction:
        """Classify one text (pure Python: no numpy import); raises InputError for a bad text."""
        problem = check_text(value)
        if problem is not None:
            raise InputError(problem)
        linear = self.bundle.linear
        raw = text.raw_tokens(value)
        toks = text.fold_all(raw)
        x = linear.tfidf_one(text.features_from_tokens(toks))
        model_p = linear.proba_one(x)
        found = self.rules.match_tokens(toks)
        rule_row = self.rules.scores(toks, self.classes, found)
        proba = combine_row(model_p, rule_row, self.alpha)
        order = sorted(range(len(proba)), key=lambda i: -proba[i])
        best, second = order[0], order[1]
        contrib = []
        for j, v in sorted(x.items()):
            row = linear.coef_row(j)
            contrib.append((linear.terms[j], v * (row[best] - row[second])))
        contrib.sort(key=lambda p: -p[1])  # stable: ties keep term-id order, as in _top_terms
        pos = [p for p in contrib if p[1] >= MIN_TERM_WEIGHT][:N_TERMS]
        neg = [p for p in reversed(contrib) if p[1] <= -MIN_TERM_WEIGHT][:N_TERMS]
        evidence = any(c >= MIN_TERM_WEIGHT for _, c in contrib) or rule_row[best] > 0
        return self._prediction(
            value,
            raw,
            toks,
            model_p,
            rule_row,
            proba,
            order,
            evidence,
            _surface_terms(pos + neg, raw, toks),
            self.threshold if threshold is None else threshold,
            lang,
            found,
        )

    def classify_many(
        self,
        values: Iterable[str],
        lang: str | None = None,
        threshold: float | None = None,
        errors: str = "raise",
        explain: bool = True,
    ) -> list[Prediction | InputError]:
        """Classify texts in one vectorised pass (numpy), in input order.

        errors="raise" raises InputError on the first bad text; errors="return" puts the
        InputError in that text's place so a batch keeps every row.
        """

        values = list(values)
        out, good = _partition(values, raise_first=errors == "raise")
        if good:
            with _gc_paused():
                self._predict_many(values, good, out, lang, threshold, explain)
        return out

    def _predict_many(
        self,
        values: list[str],
        good: list[int],
        out: list[Any],
        lang: str | None,
        threshold: float | None,
        explain: bool,
    ) -> None:
        """Fill `out` at the `good` indices with Predictions (one vectorised scoring pass)."""
        raw_tokens, token_lists, s, order = self._score_good(values, good)
        t = self.threshold if threshold is None else threshold
        contrib = self._top_terms(s.x, order, N_TERMS, N_TERMS, raw_tokens, token_lists) if explain else None
        model_p, rules, proba, evidence = (
            s.model_proba.tolist(),
            s.rule_scores.tolist(),
            s.proba.tolist(),
            s.has_evidence.tolist(),
        )
        order_l = order.tolist()
        for k, i in enumerate(good):
            out[i] = self._prediction(
                values[i], raw_tokens[k], token_lists[k], model_p[k], rules[k], proba[k], order_l[k],
                evidence[k], contrib[k] if contrib is not None else [], t, lang, s.matches[k],
            )  # fmt: skip

    def _score_good(
        self, values: list[str], good: list[int]
    ) -> tuple[list[list[str]], list[list[str]], Scored, np.ndarray]:
        raw_tokens = [text.raw_tokens(values[i]) for i in good]
        token_lists = [text.fold_all(r) for r in raw_tokens]
        s = self.score_tokens(token_lists)
        return raw_tokens, token_lists, s, s.order

    def label_many(
        self,
        values: Iterable[str],
        lang: str = "en",
        threshold: float | None = None,
        explain: bool = True,
        n_words: int = 3,
    ) -> list[Label | InputError]:
        """The same decision as classify_many, as compact rows for batch labelling: no per-row
        sentences or nested objects, so a large file goes several times faster."""
        values = list(values)
        out, good = _partition(values, raise_first=False)
        if good:
            with _gc_paused():
                self._label_many(values, good, out, lang, threshold, explain, n_words)
        return out

    def _label_many(
        self,
        values: list[str],
        good: list[int],
        out: list[Any],
        lang: str,
        threshold: float | None,
        explain: bool,
        n_words: int,
    ) -> None:
        raw_tokens, token_lists, s, order = self._score_good(values, good)
        t = self.threshold if threshold is None else threshold
        words = self._top_terms(s.x, order, n_words, 0, raw_tokens, token_lists) if explain else None
        model_top = s.model_proba.argmax(axis=1).tolist()
        rules, evidence, order_l = s.rule_scores.tolist(), s.has_evidence.tolist(), order[:, :2].tolist()
        conf = s.proba[range(len(good)), order[:, 0]].tolist()
        names = self._names["fr" if lang == "fr" else "en"]
        classes = self.classes
        for k, i in enumerate(good):
            best, second = order_l[k]
            found = s.matches[k]
            hits = self.rules.hits(values[i], token_lists[k], found) if found else []
            cat = classes[best]
            out[i] = Label(
                cat,
                names[cat],
                conf[k],
                classes[second],
                abstains(conf[k], t, evidence[k]),
                decided_by(model_top[k], best, rules[k], evidence[k]),
                hits,
                [tw.term for tw in words[k]] if words else [],
            )

    # -- explanation ------------------------------------------------------------------------------

    def _top_terms(
        self,
        x: SparseRows,
        order: np.ndarray,
        n_pos: int,
        n_neg: int,
        raws: list[list[str]],
        toks: list[list[str]],
    ) -> list[list[TermWeight]]:
        """Per text, the features that pushed most towards the choice against the runner-up (exact:
        tf-idf value x coefficient difference), largest first, then those that pushed most the
        other way, as the user wrote them; contributions under MIN_TERM_WEIGHT are noise."""
        import numpy as np

        coef = self.bundle.linear.np_coef
        top, second = order[:, 0], order[:, 1]
        diff = x.vals * (coef[x.cols, top[x.rows]] - coef[x.cols, second[x.rows]])
        # One C-level sort of all rows' features (rows stay contiguous), not a Python sort per row.
        idx = np.lexsort((-diff, x.rows))
        cols, diffs, ptr = x.cols[idx].tolist(), diff[idx].tolist(), x.indptr.tolist()
        terms = self.bundle.linear.terms
        new, stem, head = tuple.__new__, text.STEM_MARK, text.HEAD_MARK
        out = []
        for r in range(x.n):
            a, b = ptr[r], ptr[r + 1]
            picked = [k for k in range(a, min(b, a + n_pos)) if diffs[k] >= MIN_TERM_WEIGHT]
            picked += [k for k in range(b - 1, max(a, b - n_neg) - 1, -1) if diffs[k] <= -MIN_TERM_WEIGHT]
            raw, tok = raws[r], toks[r]
            row = []
            for k in picked:  # this runs for every word of a large batch: plain words inline
                term = terms[cols[k]]
                m = term[0]
                if m == stem:
                    shown = term[1:] + "*"
                elif m == head:
                    shown = _shown(term, raw, tok)
                else:
                    shown = raw[tok.index(term)]
                row.append(new(TermWeight, (shown, diffs[k])))
            out.append(row)
        return out

    def _prediction(
        self,
        value: str,
        raw: list[str],
        toks: list[str],
        model_p: list[float],
        rule_row: list[float],
        proba: list[float],
        order: list[int],
        evidence: bool,
        contrib: list[TermWeight],
        threshold: float,
        lang: str | None,
        found: list[tuple[int, int, int]],
    ) -> Prediction:
        lang = lang or text.guess_lang(toks)
        classes = self.classes
        best, second = order[0], order[1]
        model_top = max(range(len(model_p)), key=model_p.__getitem__)
        conf = proba[best]
        how = decided_by(model_top, best, rule_row, evidence)
        uncertain = abstains(conf, threshold, evidence)
        hits = self.rules.hits(value, toks, found) if found else []
        names = self._names["fr" if lang == "fr" else "en"]
        cat, ru = self._categories[classes[best]], classes[second]
        phrases = _SUMMARIES["fr" if lang == "fr" else "en"]
        summary = phrases[how].format(
            m=_pct(model_p[model_top]),
            mcat=names[classes[model_top]],
            rules=", ".join(f"'{h.id}'" for h in hits),
            cat=names[cat.id],
            conf=_pct(conf),
        )
        if uncertain and how != "no_evidence":
            summary += phrases["uncertain"].format(t=_pct(threshold))
        return Prediction(
            category=cat.id,
            name=names[cat.id],
            family=cat.family,
            confidence=conf,
            uncertain=uncertain,
            runner_up=RunnerUp(ru, names[ru], proba[second]),
            scores=dict(zip(classes, proba, strict=True)),
            explanation=Explanation(
                terms=contrib,
                rules=hits,
                decided_by=how,
                summary=summary,
                model={"category": classes[model_top], "confidence": model_p[model_top]},
                combination=self._combination[lang == "fr"],
            ),
            lang=lang,
            threshold=threshold,
        )


def _shown(term: str, raw: list[str], toks: list[str]) -> str:
    """A feature as the user wrote it ("Associations", not the folded "association"); a stem
    feature shows as its prefix and a star ("numer*": numérique, numériques...); an opening-word
    feature as the word with a caret ("^Association": the text opens with it). Features come
    from the text's own tokens, so the word exists (the first spelling wins)."""
    mark = term[0]
    if mark == text.STEM_MARK:
        return term[1:] + "*"
    if mark == text.HEAD_MARK:
        stem = term[1:]
        for r, t in zip(raw, toks, strict=True):
            if t.startswith(stem) and t not in text.STOP_WORDS:
                return text.HEAD_MARK + r
        return term
    return raw[toks.index(term)]


def _surface_terms(contrib: list[tuple[str, float]], raw: list[str], toks: list[str]) -> list[TermWeight]:
    return [TermWeight(_shown(term, raw, toks), w) for term, w in contrib]
