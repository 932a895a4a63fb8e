"""Tokenize a corpus once: word counts of every text, from which each grid point's vectorizer is a selection.

A grid fits a vocabulary per (seed, size) on that point's training texts.
Running the analyzer (decode, lowercase, regex, stop words, n-grams) is
most of that cost, and its output does not depend on which texts are
fitted. So the analyzer runs once over every text of the corpus, giving a
count matrix C (texts x every term, columns in sorted term order), cached
under ``<cache>/tokens/`` keyed on the texts' content, the analyzer's
settings and the scikit-learn version: tokenized in pieces that parallel
processes share out, then merged once into one file that every later
process reads. A vectorizer fitted on texts R then takes the rows C[R],
keeps the columns scikit-learn would keep (terms present in R, then
``min_df``/``max_df``/``max_features`` as in ``CountVectorizer``, whose
vocabulary is sorted too), and applies the same TF-IDF weighting: the same
matrix and vocabulary as scikit-learn's own ``fit_transform``, without
reading a text again. Texts outside the corpus
(and vocabularies given in the config) go through scikit-learn itself.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from numbers import Integral
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .fileio import UNREADABLE, CacheWarning, advisory_lock, load_arrays, save_arrays, stored
from .hashing import content_keys, spec_hash

ANALYZER = ("strip_accents", "lowercase", "stop_words", "token_pattern", "ngram_range", "analyzer",
            "encoding", "decode_error", "input")


LOADED: dict = {}  # in this process: the corpus counts read last, by cache key


class TokenCacheWarning(CacheWarning):
    """A cached token-count file could not be read; the corpus is tokenized again."""


class CorpusCounts:
    """C: one row of term counts per distinct text of a corpus, columns in sorted term order."""

    def __init__(self, keys: list[str], terms: list[str], matrix: sp.csr_matrix):
        self.terms, self.matrix = terms, matrix
        self.row_of = {key: row for row, key in enumerate(keys)}

    def rows(self, texts) -> np.ndarray | None:
        """The rows of ``texts``, or None if one of them is not in the corpus."""
        rows = [self.row_of.get(key, -1) for key in content_keys(texts)]
        return None if -1 in rows else np.array(rows, dtype=np.int64)


CHUNKS = 8  # the corpus is tokenized in this many pieces, which parallel workers share out


def count_texts(texts: list[str], analyzer: dict) -> tuple[list[str], sp.csr_matrix]:
    """(sorted terms, int32 counts) of some texts; no terms at all is an empty vocabulary, not an error.

    Terms are a list, not a numpy string array: that would be as wide as the
    longest term (hundreds of characters in 20 Newsgroups) for every term.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(**analyzer)
    try:
        matrix = vectorizer.fit_transform(texts).tocsr()
    except ValueError as exc:
        if "empty vocabulary" not in str(exc):
            raise
        return [], sp.csr_matrix((len(texts), 0), dtype=np.int32)
    matrix.sort_indices()
    return vectorizer.get_feature_names_out().tolist(), matrix.astype(np.int32)


def merge(pieces: list[tuple[list[str], sp.csr_matrix]]) -> tuple[list[str], sp.csr_matrix]:
    """Stack the pieces' rows over the union of their terms (sorted, as one CountVectorizer would).

    Each piece's columns are in sorted term order and map to increasing
    union columns, so every row's indices stay sorted.
    """
    terms = sorted(set().union(*(piece_terms for piece_terms, _ in pieces)))
    column_of = {term: column for column, term in enumerate(terms)}
    blocks = []
    for piece_terms, matrix in pieces:
        columns = np.fromiter((column_of[t] for t in piece_terms), dtype=np.int32, count=len(piece_terms))
        blocks.append(sp.csr_matrix((matrix.data, columns[matrix.indices], matrix.indptr),
                                    shape=(matrix.shape[0], len(terms))))
    return terms, sp.vstack(blocks, format="csr")


def unique_texts(texts: list[str]) -> tuple[list[str], list[str]]:
    """(keys, texts) of the distinct texts, in order of first appearance."""
    first = {}
    for key, text in zip(content_keys(texts), texts):
        first.setdefault(key, text)
    return list(first), list(first.values())


def corpus_hash(keys: list[str]) -> str:
    """One sha256 over a corpus's distinct text keys, in order."""
    return hashlib.sha256("\0".join(keys).encode()).hexdigest()


def bag_rows(bags: list[dict], column_of: dict) -> sp.csr_matrix:
    """The counts of bags over the given columns (features outside them are dropped)."""
    indptr, indices, data = [0], [], []
    for bag in bags:
        row = sorted((column_of[f], c) for f, c in bag.items() if f in column_of)
        indices += [column for column, _ in row]
        data += [count for _, count in row]
        indptr.append(len(indices))
    return sp.csr_matrix((np.array(data, dtype=np.int32), np.array(indices, dtype=np.int32), np.array(indptr)),
                         shape=(len(bags), len(column_of)))


def bag_counts(bags: list[dict], keep: bool = True) -> CorpusCounts:
    """C for a corpus given as bags of (feature, count): the counts are the data, no analyzer runs.
    ``keep``: kept once per process, by the bags' content."""
    keys, bags = unique_texts(bags)
    key = "bags:" + corpus_hash(keys)
    if key not in LOADED or not keep:
        terms = sorted(set().union(*bags))
        counts = CorpusCounts(keys, terms, bag_rows(bags, {t: i for i, t in enumerate(terms)}))
        if not keep:
            return counts
        LOADED.clear()
        LOADED[key] = counts
    return LOADED[key]


def count_corpus(texts: list[str], analyzer: dict) -> CorpusCounts:
    keys, texts = unique_texts(texts)
    return CorpusCounts(keys, *count_texts(texts, analyzer))


def counts_of_fields(fields: dict) -> tuple[list[str], sp.csr_matrix]:
    terms = fields["terms"]
    if not isinstance(terms, list):  # an empty list is stored as JSON
        raise ValueError("terms are not a list")
    return terms, sp.csr_matrix(fields["matrix"])


def read_piece(path: Path):
    return counts_of_fields(load_arrays(path))


def build_piece(path: Path, texts: list[str], analyzer: dict, wait: bool) -> None:
    """Tokenize one piece into ``path`` unless it is there (or, without ``wait``, another process is on it)."""
    with advisory_lock(path.with_suffix(".lock"), wait) as mine:
        if not mine or path.is_file():
            return
        terms, matrix = count_texts(texts, analyzer)
        save_arrays(path, {"terms": terms, "matrix": matrix})


def load_piece(path: Path, texts: list[str], analyzer: dict):
    for attempt in (1, 2):
        build_piece(path, texts, analyzer, wait=True)
        try:
            return read_piece(path)
        except UNREADABLE as exc:
            warnings.warn(f"{path}: unreadable token cache file ({type(exc).__name__}); tokenizing again",
                          TokenCacheWarning)
            path.unlink(missing_ok=True)
    raise OSError(f"{path}: cannot be written and read back")


def pieces(folder: Path, texts: list[str]) -> list[tuple[Path, list[str]]]:
    """(file, texts) of each of the corpus's ``CHUNKS`` pieces."""
    bounds = np.linspace(0, len(texts), CHUNKS + 1).astype(int)
    return [(folder / f"piece-{i}.npz", texts[bounds[i]: bounds[i + 1]]) for i in range(CHUNKS)]


def build_free_pieces(folder: Path, texts: list[str], analyzer: dict) -> None:
    """Tokenize the pieces that are neither stored nor being built by another process."""
    every = pieces(folder, texts)
    start = os.getpid() % CHUNKS  # parallel workers start on different pieces
    for path, part in every[start:] + every[:start]:
        build_piece(path, part, analyzer, wait=False)


def corpus_counts(texts: list[str], analyzer: dict, cache_dir: str | None) -> CorpusCounts:
    """The counts of a corpus: tokenized once, in pieces that parallel processes share out, then read
    back and merged, once per process."""
    import sklearn

    if cache_dir is None:
        return count_corpus(texts, analyzer)
    keys, texts = unique_texts(texts)
    key = spec_hash({"texts": corpus_hash(keys), "analyzer": analyzer, "sklearn": sklearn.__version__}, 32)
    if key not in LOADED:
        LOADED.clear()
        LOADED[key] = CorpusCounts(keys, *merged_counts(Path(cache_dir) / "tokens" / key, texts, analyzer))
    return LOADED[key]


def merged_counts(folder: Path, texts: list[str], analyzer: dict):
    """(terms, C) of the whole corpus: read from ``merged.npz`` if there; else the processes asking
    share out the pieces, one of them merges them into that file while the others wait, and they
    read it, as later runs will."""
    path = folder / "merged.npz"
    if not path.is_file():
        build_free_pieces(folder, texts, analyzer)

    def merged():
        return merge([load_piece(piece, part, analyzer) for piece, part in pieces(folder, texts)])

    return stored(path, merged, lambda value: {"terms": value[0], "matrix": value[1]}, counts_of_fields,
                  warning=TokenCacheWarning)


class PrecountedVectorizer:
    """A scikit-learn ``CountVectorizer`` or ``TfidfVectorizer`` fitted by selecting columns of C.

    ``fit_transform``, ``transform`` and ``vocabulary_`` equal the wrapped
    vectorizer's own; texts not in the corpus are counted by it.
    """

    def __init__(self, vectorizer, counts: CorpusCounts):
        self.vectorizer, self.counts = vectorizer, counts

    def fit(self, texts, y=None):
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts, y=None):
        texts = list(texts)
        rows = self.counts.rows(texts)
        if rows is None and texts and isinstance(texts[0], dict):  # bags from outside the corpus
            self.counts = bag_counts(texts, keep=False)
            rows = self.counts.rows(texts)
        v = self.vectorizer
        if rows is None or v.vocabulary is not None:
            self.columns_ = None
            return v.fit_transform(texts)
        X = self.weigh_counts(self.counts.matrix[rows])
        dfs = np.bincount(X.indices, minlength=X.shape[1])  # document frequencies (rows hold each term once)
        present = np.flatnonzero(dfs)  # the terms scikit-learn's vocabulary would hold
        if not len(present):
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        X = X[:, present]
        n_doc = X.shape[0]
        high = v.max_df if isinstance(v.max_df, Integral) else v.max_df * n_doc
        low = v.min_df if isinstance(v.min_df, Integral) else v.min_df * n_doc
        if high < low:
            raise ValueError("max_df corresponds to < documents than min_df")
        keep = limit_features(X, dfs[present], high, low, v.max_features)
        self.columns_ = present[keep]
        v.vocabulary_ = {self.counts.terms[c]: i for i, c in enumerate(self.columns_.tolist())}
        X = X[:, keep]
        X.sort_indices()
        return self.weigh(X, fit=True)

    def transform(self, texts):
        texts = list(texts)
        if self.columns_ is None:
            return self.vectorizer.transform(texts)
        rows = self.counts.rows(texts)
        if rows is None and texts and isinstance(texts[0], dict):
            return self.weigh(self.weigh_counts(bag_rows(texts, self.vectorizer.vocabulary_)), fit=False)
        if rows is None:
            from sklearn.feature_extraction.text import CountVectorizer

            params = {k: getattr(self.vectorizer, k) for k in ANALYZER}
            X = CountVectorizer(vocabulary=self.vectorizer.vocabulary_, **params).transform(texts)
            return self.weigh(self.weigh_counts(X), fit=False)
        X = self.weigh_counts(self.counts.matrix[rows][:, self.columns_])
        X.sort_indices()
        return self.weigh(X, fit=False)

    def weigh_counts(self, X):
        X = sp.csr_matrix(X, dtype=self.vectorizer.dtype, copy=True)
        if self.vectorizer.binary:
            X.data.fill(1)
        return X

    def weigh(self, X, fit: bool):
        """TF-IDF weighting as TfidfVectorizer applies it (counts as they are for a CountVectorizer)."""
        from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

        v = self.vectorizer
        if not isinstance(v, TfidfVectorizer):
            return X
        if fit:
            self.tfidf_ = TfidfTransformer(norm=v.norm, use_idf=v.use_idf, smooth_idf=v.smooth_idf,
                                           sublinear_tf=v.sublinear_tf).fit(X)
        return self.tfidf_.transform(X, copy=False)


def limit_features(X, dfs, high, low, limit) -> np.ndarray:
    """The columns ``CountVectorizer._limit_features`` keeps: document frequency (``dfs``, one per column
    of X) in [low, high], then the ``limit`` most frequent terms (the same argsort on the same array, so
    ties break alike)."""
    mask = (dfs <= high) & (dfs >= low)
    if limit is not None and mask.sum() > limit:
        tfs = np.asarray(X.sum(axis=0)).ravel()
        chosen = (-tfs[mask]).argsort()[:limit]
        new_mask = np.zeros(len(dfs), dtype=bool)
        new_mask[np.flatnonzero(mask)[chosen]] = True
        mask = new_mask
    kept = np.flatnonzero(mask)
    if not len(kept):
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    return kept
