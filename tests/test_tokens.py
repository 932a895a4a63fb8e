"""Tokenizing a corpus once: every vectorizer fitted from its counts equals scikit-learn's own."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from mtl_cli import tokens
from mtl_cli.features import featurize
from mtl_cli.tokens import ANALYZER, PrecountedVectorizer, corpus_counts

PARAMS = [
    {},
    {"sublinear_tf": True, "min_df": 2},
    {"min_df": 0.01, "max_df": 0.5, "stop_words": "english"},
    {"max_features": 300, "binary": True},
    {"ngram_range": (1, 2), "min_df": 3, "norm": "l1", "use_idf": False, "lowercase": False},
    {"max_features": 50, "max_df": 3, "token_pattern": r"(?u)\b[a-z]{4,}\b"},
]


@pytest.fixture(scope="module")
def texts(newsgroups):
    return newsgroups.train.data[:1500], newsgroups.test.data[:400]


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("cls", [TfidfVectorizer, CountVectorizer])
def test_fitting_from_corpus_counts_is_scikit_learns_own_fit(texts, params, cls, tmp_path):
    train, test = texts
    params = {k: v for k, v in params.items() if cls is TfidfVectorizer or k not in ("sublinear_tf", "norm", "use_idf")}
    reference = cls(**params)
    counts = corpus_counts(train + test, {k: getattr(reference, k) for k in ANALYZER}, str(tmp_path))
    ours = PrecountedVectorizer(cls(**params), counts)
    fit = [train[i] for i in np.random.default_rng(0).choice(len(train), 300, replace=False)]
    expected, got = reference.fit_transform(fit), ours.fit_transform(fit)
    assert ours.vectorizer.vocabulary_ == reference.vocabulary_
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert abs(got - expected).max() < 1e-12
    unseen = test[:100] + ["a text that is not in the corpus, zebra"]  # the last one goes through scikit-learn
    assert abs(ours.transform(unseen) - reference.transform(unseen)).max() < 1e-12


@pytest.mark.parametrize("params, texts, n_fit", [
    ({"min_df": 2, "max_df": 2}, ["a b", "a c", "a d"], 3),  # df: a 3, the rest 1
    ({"stop_words": "english"}, ["the and", "of the", "some text"], 2),  # fitted on stop words only
    ({"min_df": 3, "max_df": 2}, ["a b", "a c", "a d"], 3),
])
def test_errors_on_the_data_are_scikit_learns(params, texts, n_fit):
    analyzer = {k: getattr(TfidfVectorizer(token_pattern=r"\w+", **params), k) for k in ANALYZER}
    counts = corpus_counts(texts, analyzer, None)
    with pytest.raises(ValueError) as expected:
        TfidfVectorizer(token_pattern=r"\w+", **params).fit(texts[:n_fit])
    with pytest.raises(ValueError) as got:
        PrecountedVectorizer(TfidfVectorizer(token_pattern=r"\w+", **params), counts).fit(texts[:n_fit])
    assert str(got.value) == str(expected.value)


def test_the_corpus_is_tokenized_once_in_pieces_and_read_back(texts, tmp_path, monkeypatch):
    train, test = texts
    analyzer = {k: getattr(TfidfVectorizer(), k) for k in ANALYZER}
    first = corpus_counts(train + test, analyzer, str(tmp_path))
    whole = tokens.count_corpus(train + test, analyzer)  # in one piece
    assert first.terms == whole.terms and abs(first.matrix - whole.matrix).max() == 0
    pieces = sorted((tmp_path / "tokens").glob("*/piece-*.npz"))
    assert len(pieces) == tokens.CHUNKS
    merged = pieces[0].parent / "merged.npz"  # merged once, then read as one file by every later process
    assert merged.is_file()
    tokens.LOADED.clear()
    monkeypatch.setattr(tokens, "count_texts", lambda *a: pytest.fail("tokenized again"))
    monkeypatch.setattr(tokens, "merge", lambda *a: pytest.fail("merged again"))
    again = corpus_counts(train + test, analyzer, str(tmp_path))
    assert again.terms == first.terms and abs(again.matrix - first.matrix).max() == 0
    # another analyzer, or other texts, is another entry
    with pytest.raises(pytest.fail.Exception, match="tokenized again"):
        corpus_counts(train + test, analyzer | {"lowercase": False}, str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="tokenized again"):
        corpus_counts(train + test[:-1], analyzer, str(tmp_path))
    # an unreadable merged file is merged again, an unreadable piece tokenized again, each with a warning
    merged.write_bytes(b"corrupt")
    pieces[3].write_bytes(b"corrupt")
    tokens.LOADED.clear()
    monkeypatch.undo()
    with pytest.warns(tokens.TokenCacheWarning) as warned:
        repaired = corpus_counts(train + test, analyzer, str(tmp_path))
    assert abs(repaired.matrix - whole.matrix).max() == 0
    assert [str(w.message).split(":")[0] for w in warned] == [str(merged), str(pieces[3])]
    tokens.LOADED.clear()
    assert abs(corpus_counts(train + test, analyzer, str(tmp_path)).matrix - whole.matrix).max() == 0


def test_featurize_gives_the_same_features_with_and_without_the_token_cache(newsgroups, tmp_path):
    from mtl_cli.data.base import subsample
    from mtl_cli.data.splits import HierarchyPairs

    tasks = [subsample(t, 20, 0) for t in HierarchyPairs(["sci", "misc"]).tasks(newsgroups)]
    params = {"sublinear_tf": True, "min_df": 2, "n_components": 20}
    with_cache = featurize(newsgroups, tasks, "lsa", params, seed=0, cache_dir=str(tmp_path))
    assert len(list((tmp_path / "tokens").glob("*/piece-*.npz"))) == tokens.CHUNKS
    without = featurize(newsgroups, tasks, "lsa", params, seed=0, cache_dir=None)
    assert np.allclose(with_cache.X_train, without.X_train, atol=1e-8)
    assert np.allclose(with_cache.X_test, without.X_test, atol=1e-8)


def test_text_keys_are_remembered_within_a_bound(monkeypatch):
    import hashlib

    from mtl_cli import hashing

    texts = ["a post", "another post", "a post"]
    expected = [hashlib.sha256(t.encode()).hexdigest()[:32] for t in texts]
    monkeypatch.setattr(hashing, "KNOWN_TEXTS", {})
    monkeypatch.setattr(hashing, "KNOWN_CHARACTERS", [0])
    assert hashing.content_keys(texts) == expected and set(hashing.KNOWN_TEXTS) == {"a post", "another post"}
    assert hashing.content_keys(texts) == expected  # from the memo
    monkeypatch.setattr(hashing, "MAX_KNOWN_CHARACTERS", 10)
    hashing.content_keys(["a third post"])  # past the bound: the memo starts again
    assert set(hashing.KNOWN_TEXTS) == {"a third post"}
    assert hashing.content_keys([{"word": 2}]) == [hashlib.sha256(b'[["word", 2]]').hexdigest()[:32]]
