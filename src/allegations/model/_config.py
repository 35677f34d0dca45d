"""A model's settings: :class:`ModelConfig` (the hyper-parameters, defaults the shipped
choices) and the checks of the feature step's settings, made before any training work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ModelConfig", "check_ngram_max", "check_lead"]


def check_ngram_max(ngram_max: int) -> None:
    """Refuse a longest n-gram the feature step does not build (it builds words and word
    pairs): a larger value would otherwise be read as 2 while the model card named it."""
    if ngram_max not in (1, 2):
        raise ValueError(f"ngram_max is {ngram_max!r}; expected 1 or 2.")


def check_lead(lead_sentences: Any, lead_weight: Any) -> None:
    """Refuse a lead block the feature step cannot build: a count of sentences that is not
    a whole number of 0 or more (1.5 would be read as 2), or a weight that is not positive
    (0 or less would keep the block's columns and learn nothing from them)."""
    if isinstance(lead_sentences, bool) or not isinstance(lead_sentences, (int, np.integer)):
        raise ValueError(
            f"lead_sentences is {lead_sentences!r}; expected a whole number of sentences, "
            "0 for no lead block."
        )
    if lead_sentences < 0:
        raise ValueError(f"lead_sentences is {lead_sentences}; expected 0 (no lead block) or more.")
    if not (isinstance(lead_weight, (int, float, np.number)) and 0 < float(lead_weight) < np.inf):
        raise ValueError(f"lead_weight is {lead_weight!r}; expected a number above 0, such as 0.5.")


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of the default model. Defaults are the shipped choices."""

    ngram_max: int = 2
    min_df: int = 2
    max_df: float = 0.9
    affix_range: tuple[int, int] = (3, 5)
    #: Scale of the affix block relative to the word block.
    affix_weight: float = 1.0
    #: The lead block of multi-label models: word 1-2 grams of each narrative's first this
    #: many sentences, a block of their own (0: none).
    lead_sentences: int = 0
    #: The same for exclusive models, whose one label is what a narrative states at its
    #: start. Both chosen on benchmarks/dev_quality.py's splits (docs/model-quality.md):
    #: the block helped every exclusive split and was a wash on the multi-label ones.
    exclusive_lead_sentences: int = 1
    #: Scale of the lead block relative to the word block.
    lead_weight: float = 0.5
    #: Inverse regularisation strengths tried; out-of-fold average precision picks one
    #: per label (multi-label).
    C_grid: tuple[float, ...] = (2.0, 8.0)
    #: The same for exclusive labels: one C for the multinomial model, by the mean over
    #: labels (the grids were chosen on benchmarks/dev_quality.py's splits).
    exclusive_C_grid: tuple[float, ...] = (1.0, 2.0, 8.0)
    #: Naive-Bayes feature scaling (NBSVM-style; multi-label only) tried off and on: the
    #: out-of-fold average precision picks per label, as for C.
    nb_grid: tuple[bool, ...] = (False, True)
    #: Also try, per label, the average of the logits of every (C, scaling) candidate
    #: (one linear model: the mean of their weights).
    ensemble: bool = True
    #: A label with fewer positive training cases than this takes that logit mean without
    #: a choice (0: every label chooses by out-of-fold average precision).
    ensemble_below: int = 100
    #: F1 thresholds are pulled toward 0.5 with weight prior / (prior + n_positive). 0 (the
    #: default) turns this off; a negative value chooses it from (0, 5, 20) on the training
    #: data's cross-fitted decisions. The training folds cannot see a later release, where
    #: rare labels lose recall: off did better there (benchmarks/dev_quality.py).
    threshold_prior: float = 0.0
    #: How an f1 goal's threshold is read off the out-of-fold probabilities: "half_f1"
    #: (half the best out-of-fold F1, the optimum for calibrated probabilities) or
    #: "best_cut" (the cut with the best out-of-fold F1).
    threshold_rule: str = "half_f1"
    class_weight: str | None = "balanced"
    n_folds: int = 5
    #: A training option rather than a hyper-parameter: keep labels that look like one
    #: label spelt two ways (``PHYSICAL ABUSSE``, ``Physical-Abuse``) apart instead of
    #: stopping with "did you mean" (``--allow-similar-labels``).
    allow_similar_labels: bool = False

    def __post_init__(self) -> None:
        # Before any training work, not at the first fit.
        check_ngram_max(self.ngram_max)
        check_lead(self.lead_sentences, self.lead_weight)
        check_lead(self.exclusive_lead_sentences, self.lead_weight)

    def lead_for(self, exclusive: bool) -> int:
        """The lead block's sentences for an exclusive or a multi-label model (0: none)."""
        return self.exclusive_lead_sentences if exclusive else self.lead_sentences

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy for the model card."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}
