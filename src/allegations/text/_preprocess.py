"""The spaCy step as a scikit-learn transformer: narratives in, normalised lemma strings out.

The default pipeline is spaCy's blank English tokenizer with lemmas from the
``spacy-lookups-data`` lookup table, so it runs offline with nothing to download. A user
with an installed trained pipeline can pass its name (``spacy_model="en_core_web_sm"``),
whose own lemmatizer is then used.

The rules of the normalisation are pure functions in :mod:`allegations.text._normalise`;
the caches that make it fast are one :class:`~allegations.text._chunks.ChunkForms`. The
output of :meth:`SpacyPreprocessor.transform` is one space-joined string per text, which
the feature step splits on whitespace (:func:`~allegations.text._normalise.split_tokens`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from itertools import chain
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ._chunks import ChunkForms, trained_tokens
from ._normalise import (
    NUMBER,
    REDACTED,
    SENTENCE_END,
    as_text,
    blank_urls,
    ends_sentence,
    lemma_text,
    normalise_redactions,
    split_tokens,
)

__all__ = [
    "SpacyPreprocessor",
    "as_text",
    "normalise_redactions",
    "blank_urls",
    "split_tokens",
    "lemma_text",
    "ends_sentence",
    "REDACTED",
    "NUMBER",
    "SENTENCE_END",
]


class SpacyPreprocessor(TransformerMixin, BaseEstimator):
    """Tokenise, lemmatise and normalise narratives with spaCy.

    Parameters
    ----------
    spacy_model : str or None
        Name of an installed trained spaCy pipeline to lemmatise with, or None for the
        blank English tokenizer plus lookup lemmas (offline, the default).
    batch_size : int
        Texts per batch handed to spaCy.
    drop_urls : bool
        Blank web addresses (step 2 of the normalisation).
    mark_sentences : bool
        End each sentence with the token :data:`SENTENCE_END` (step 4).

    Attributes
    ----------
    spacy_version_ : str
        The spaCy version the transformer was fitted with.
    saved_chunks_ : dict of str to str
        The chunk forms saved with a model (:meth:`keep_chunks`).
    """

    #: The caches (:meth:`_forms`): not a parameter, not learned state.
    _cache: ChunkForms | None

    def __init__(
        self,
        spacy_model: str | None = None,
        batch_size: int = 1000,
        drop_urls: bool = True,
        mark_sentences: bool = True,
    ) -> None:
        self.spacy_model = spacy_model
        self.batch_size = batch_size
        self.drop_urls = drop_urls
        self.mark_sentences = mark_sentences

    # -- scikit-learn contract -------------------------------------------------------------
    def fit(self, X: Iterable[str], y: Any = None) -> SpacyPreprocessor:
        """Check the pipeline can be built; nothing is learned from the texts."""
        import spacy

        self._forms().nlp  # noqa: B018 - loads the pipeline now, so a missing one fails here
        self.spacy_version_ = spacy.__version__
        self.n_features_in_ = 1
        return self

    def transform(self, X: Iterable[str]) -> np.ndarray:
        """Return one normalised, space-joined lemma string per text.

        Parameters
        ----------
        X : iterable of str
            Narratives; None and NaN count as empty text.

        Returns
        -------
        numpy.ndarray of object, shape (n_texts,)
        """
        return np.array(list(self.iter_transform(X)), dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags

    # -- the step ----------------------------------------------------------------------------
    def normalise(self, text: str) -> str:
        """Steps 1 and 2 of the normalisation (redaction markers, web addresses)."""
        text = normalise_redactions(text)
        return blank_urls(text) if self.drop_urls else text

    def iter_transform(self, X: Iterable[str]) -> Iterator[str]:
        """Yield the normalised string of each text, streaming through spaCy."""
        texts = (self.normalise(as_text(x)) for x in X)
        forms = self._forms()
        if self.spacy_model is None:
            yield from forms.stream(texts, self.batch_size)
            return
        for doc in forms.nlp.pipe(texts, batch_size=self.batch_size):
            yield " ".join(form for form, _, _ in trained_tokens(doc, self.mark_sentences))

    def tokens_with_offsets(self, text: Any) -> tuple[str, list[tuple[str, int, int]]]:
        """The normalised tokens of one text with their character spans.

        Returns the text after redaction markers are normalised, and one
        ``(token, start, end)`` per kept token, spans indexing that text; the tokens are
        exactly those :meth:`transform` joins.
        """
        text = normalise_redactions(as_text(text))
        # Web addresses are blanked at the same length: spans index ``text``.
        read = blank_urls(text) if self.drop_urls else text
        forms = self._forms()
        if self.spacy_model is not None:
            return text, list(trained_tokens(forms.nlp(read), self.mark_sentences))
        return text, forms.offsets(read)

    def chunk_forms(self, chunks: Collection[str]) -> dict[str, str]:
        """The normalised form of each whitespace-free chunk, as ``transform`` joins them.

        A form is its lemmas, each followed by a space (``"officer search "``; ``""`` for
        a chunk of punctuation), and the sentence mark ``". "`` after a chunk that ends a
        sentence. Chunks already cached are read from the cache; the rest are computed
        (plain words by a shortcut, the others in one spaCy call). The cache is not changed.
        """
        return self._forms().forms(chunks)

    # -- the chunk table saved with a model -------------------------------------------------
    def known_chunks(self) -> list[str]:
        """The chunks whose normalised form this preprocessor has cached (oldest first)."""
        return list(self._forms().chunks)

    def keep_chunks(self, texts: Iterable[Any], min_df: int = 2) -> int:
        """Save with the model the forms of the chunks found in ``min_df`` or more of
        ``texts`` (the training narratives, already transformed).

        A model loaded from disk then starts from those forms, as a model fresh from
        training starts from all of its training chunks: a new release pays spaCy only
        for chunks the training cases did not share. Rarer chunks (often names: personal
        data) are never saved, as the feature step keeps no lemma seen in fewer than two
        cases. Only the blank pipeline uses the table. Returns the number of chunks kept.
        """
        if self.spacy_model is not None:
            self.saved_chunks_: dict[str, str] = {}
            return 0
        min_df = max(int(min_df), 2)
        df = Counter(chain.from_iterable(set(self.normalise(as_text(t)).split()) for t in texts))
        cache = self._forms().chunks
        # Sorted: the cache's order follows set iteration, which varies between processes,
        # and the same data must give a byte-identical model file.
        kept = sorted(c for c in cache if df.get(c, 0) >= min_df)
        self.saved_chunks_ = {c: cache[c] for c in kept}
        return len(self.saved_chunks_)

    def restore_chunks(self, saved: dict[str, str]) -> None:
        """Start from the chunk forms saved with a model (see :meth:`keep_chunks`): a
        loaded model then pays spaCy only for chunks its training cases did not share."""
        self.saved_chunks_ = saved
        self._forms().restore(saved)

    def forget_chunks(self) -> None:
        """Drop the cached forms (the saved table stays): the next texts start cold."""
        self._cache = None

    # -- the caches --------------------------------------------------------------------------
    def _forms(self) -> ChunkForms:
        """The caches, built at first use and again when a setting they depend on changed
        (``set_params``); not a parameter and not learned state, so never cloned or saved."""
        cache: ChunkForms | None = getattr(self, "_cache", None)
        settings = (self.spacy_model, self.mark_sentences)
        if cache is None or cache.settings() != settings:
            cache = self._cache = ChunkForms(*settings)
            saved = getattr(self, "saved_chunks_", None)
            if saved:
                cache.restore(saved)
        return cache

    def __getstate__(self) -> dict[str, Any]:
        # Pickled only to hand a live model to worker processes: the spaCy pipeline and
        # caches are rebuilt there (from the saved chunk table, if any).
        state = dict(super().__getstate__())  # a copy: the live caches stay
        state.pop("_cache", None)
        return state
