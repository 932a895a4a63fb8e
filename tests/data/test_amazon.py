"""Amazon multi-domain sentiment: import, sizes and labels, bag featurizers, and user mistakes."""

from __future__ import annotations

import tarfile

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from typer.testing import CliRunner

from mtl_cli.cli import app
from mtl_cli.data.amazon import DOMAINS, AmazonSentiment
from mtl_cli.tokens import PrecountedVectorizer, bag_counts
from tests.conftest import REPO, imported_home

ARCHIVE = REPO.parent / "shared" / "data" / "processed_acl-labeled.tar.gz"
runner = CliRunner()


@pytest.fixture(scope="module")
def amazon_home(tmp_path_factory):
    return imported_home(tmp_path_factory, ARCHIVE, "amazon-home")


@pytest.fixture(scope="module")
def corpus(amazon_home):
    return AmazonSentiment(data_home=str(amazon_home)).load()


def test_four_domains_of_reviews_400_test_each_duplicates_dropped(corpus):
    assert len(corpus.train) + len(corpus.test) == 8000 - 146 and len(corpus.test) == 1600
    for domain in DOMAINS:
        for label in ("positive", "negative"):
            assert np.sum((corpus.test.tasks == domain) & (corpus.test.labels == label)) == 200
            assert 750 <= np.sum((corpus.train.tasks == domain) & (corpus.train.labels == label)) <= 800
    bag = corpus.train.data[0]
    assert all(isinstance(f, str) and isinstance(c, int) and c > 0 for f, c in bag.items())
    assert any("_" in f for f in bag)  # bigrams are joined by _


def test_the_split_is_fixed_and_test_reviews_are_never_training_reviews(amazon_home, corpus):
    again = AmazonSentiment(data_home=str(amazon_home)).load()
    assert again.test.data == corpus.test.data
    train_keys = {tuple(sorted(b.items())) for b in corpus.train.data}
    assert not any(tuple(sorted(b.items())) in train_keys for b in corpus.test.data)
    # without deduplication the same draw puts 52 test reviews with an exact copy in training (the README's figure)
    kept = AmazonSentiment(data_home=str(amazon_home), deduplicate=False).load()
    keys = {tuple(sorted(b.items())) for b in kept.train.data}
    assert len(kept.train) + len(kept.test) == 8000
    assert sum(tuple(sorted(b.items())) in keys for b in kept.test.data) == 52


def test_tfidf_on_bags_is_tfidf_on_the_given_tokens(corpus):
    """Reference: scikit-learn's own TfidfVectorizer with an analyzer that returns each feature count times."""
    bags = corpus.train.data[:500]
    expand = lambda bag: [f for f, c in bag.items() for _ in range(c)]  # noqa: E731
    for params in ({"sublinear_tf": True, "min_df": 2}, {"max_features": 1000, "binary": True}, {"max_df": 0.3}):
        reference = TfidfVectorizer(analyzer=expand, **params)
        expected = reference.fit_transform(bags)
        ours = PrecountedVectorizer(TfidfVectorizer(**params), bag_counts(corpus.train.data + corpus.test.data))
        got = ours.fit_transform(bags)
        assert ours.vectorizer.vocabulary_ == reference.vocabulary_
        assert abs(got - expected).max() < 1e-12
        assert abs(ours.transform(corpus.test.data[:50]) - reference.transform(corpus.test.data[:50])).max() < 1e-12
        unseen = [{"great_product": 2, "never_seen_feature": 1}]
        assert abs(ours.transform(unseen) - reference.transform(unseen)).max() < 1e-12


def config(tmp_path, home, featurizer="{name: tfidf, sublinear_tf: true}", learners="[{name: single-task}]"):
    path = tmp_path / "amazon.yaml"
    path.write_text(f"dataset: {{name: amazon-sentiment, domains: [books, kitchen], data_home: '{home}'}}\n"
                    f"split: {{name: by-column, n_train_per_task: [20]}}\nfeaturizer: {featurizer}\n"
                    f"learners: {learners}\nseeds: [0]\n")
    return path


def test_train_two_domains_from_the_cli(amazon_home, tmp_path):
    path = config(tmp_path, amazon_home, learners="[{name: single-task}, {name: pooled}, {name: shared-w, "
                                                  "penalty: mean, alpha: 0.1}]")
    result = runner.invoke(app, ["train", str(path), "--runs", str(tmp_path / "runs"), "-q"])
    assert result.exit_code == 0, result.output
    table = (tmp_path / "runs" / "amazon" / "accuracy_per_task.csv").read_text()
    assert "books" in table and "kitchen" in table and "dvd" not in table


@pytest.mark.parametrize("featurizer, message", [
    ("{name: tfidf, stop_words: english}", "featurizer.stop_words: dataset amazon-sentiment gives bags"),
    ("{name: concat, parts: [{name: lsa, ngram_range: [1, 2]}]}", "featurizer.parts[0].ngram_range"),
    ("{name: hashing}", "hashing takes text, but dataset amazon-sentiment gives bags"),
    ("{name: sentence-embedding}", "sentence-embedding takes text, but dataset amazon-sentiment gives bags"),
])
def test_text_only_settings_on_bags_are_one_line_errors(tmp_path, featurizer, message):
    result = runner.invoke(app, ["check", str(config(tmp_path, tmp_path, featurizer)), "--no-data"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
    assert message in result.stderr


def test_missing_data_and_wrong_archives_are_one_line_errors(tmp_path):
    result = runner.invoke(app, ["check", str(config(tmp_path, tmp_path / "empty"))])
    assert result.exit_code == 2 and "mtl data import PATH/processed_acl-labeled.tar.gz" in result.stderr
    for name, text in (("short", "a:1 b:2 #label#:positive\n"), ("bad", "a:1 b:x #label#:positive\n")):
        source = tmp_path / name / "processed_acl" / "books"
        source.mkdir(parents=True)
        (source / "positive.review").write_text(text)
        archive = tmp_path / f"{name}.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(tmp_path / name / "processed_acl", arcname="processed_acl")
        result = runner.invoke(app, ["data", "import", str(archive), "--data-home", str(tmp_path / "home")])
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
        assert str(archive) in result.stderr
