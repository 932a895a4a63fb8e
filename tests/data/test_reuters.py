"""Reuters-21578 (ApteMod): import, sizes and labels, the Reuters-10 tasks, Bao et al.'s few-shot data, mistakes."""

from __future__ import annotations

import csv
import json
import zipfile

import numpy as np
import pytest
from typer.testing import CliRunner

from mtl_cli.cli import app
from mtl_cli.data.base import label_sets
from mtl_cli.data.episodes import CLASS_SPLITS, ROLES
from mtl_cli.data.reuters import Reuters
from mtl_cli.data.splits import Categories
from tests.conftest import REPO, imported_home

ARCHIVE = REPO.parent / "shared" / "data" / "reuters.zip"
REUTERS_10 = {"earn", "acq", "money-fx", "grain", "crude", "trade", "interest", "ship", "wheat", "corn"}
runner = CliRunner()


@pytest.fixture(scope="module")
def reuters_home(tmp_path_factory):
    return imported_home(tmp_path_factory, ARCHIVE, "reuters-home")


@pytest.fixture(scope="module")
def corpus(reuters_home):
    return Reuters(data_home=str(reuters_home)).load()


def cats() -> dict[str, set[str]]:
    """The topics cats.txt gives each story, read here independently of the dataset's code."""
    with zipfile.ZipFile(ARCHIVE) as z:
        lines = z.read("reuters/cats.txt").decode().splitlines()
    return {fields[0]: set(fields[1:]) for fields in map(str.split, lines) if fields}


def count(topic: str, part: str) -> int:
    return sum(topic in topics for story, topics in cats().items() if story.startswith(part + "/"))


def test_apte_mod_sizes_and_multi_labels(corpus):
    assert len(corpus.train) == 7769 and len(corpus.test) == 3019
    topics = set().union(*label_sets(corpus.train.labels), *label_sets(corpus.test.labels))
    assert len(topics) == 90
    assert sum(len(s) > 1 for s in label_sets(np.concatenate([corpus.train.labels, corpus.test.labels]))) == 1628
    # the NLTK book's example: training/9865 is about barley, corn, grain and wheat (stories are in file order)
    with zipfile.ZipFile(ARCHIVE) as z:
        text = z.read("reuters/training/9865").decode("latin-1")
    index = corpus.train.data.index(text)
    assert corpus.train.labels[index] == "barley+corn+grain+wheat" == "+".join(sorted(cats()["training/9865"]))
    assert corpus.train.data[0].startswith("BAHIA COCOA REVIEW")


def test_reuters_10_tasks_are_the_ten_largest_topics_over_every_story(corpus):
    tasks = Categories(top=10).tasks(corpus)
    assert {t.name for t in tasks} == REUTERS_10
    corn = next(t for t in tasks if t.name == "corn")
    assert len(corn.train_index) == 7769 and len(corn.test_index) == 3019
    assert corn.train_labels.sum() == count("corn", "training") and corn.test_labels.sum() == count("corn", "test")
    assert 0.02 < corn.train_labels.mean() < 0.025
    assert [t.name for t in Categories(categories=["wheat", "corn"]).tasks(corpus)] == ["wheat", "corn"]


def test_bao2020_data_is_20_single_label_stories_of_31_topics_drawn_once(reuters_home):
    data = Reuters(documents="bao2020", data_home=str(reuters_home)).load()
    again = Reuters(documents="bao2020", data_home=str(reuters_home)).load()
    assert len(data.train) == 620 and data.train.data == again.train.data
    topics, counts = np.unique(data.train.labels, return_counts=True)
    assert set(counts) == {20} and len(topics) == 31
    assert set(topics) == {c for role in ROLES for c in CLASS_SPLITS["bao2020-reuters"][role]}
    assert not set(data.train.data) & set(data.test.data)
    single = Reuters(documents="single-label", data_home=str(reuters_home)).load()
    assert len(single.train) + len(single.test) == 9160 and "+" not in "".join(single.train.labels)


def test_bao2020_class_split_is_alphabetical_by_class_id():
    """Bao et al.'s loader: ids 0-14 meta-train, 15-19 meta-val, 20-30 meta-test; ids in alphabetical order."""
    split = CLASS_SPLITS["bao2020-reuters"]
    ordered = split["meta_train"] + split["meta_val"] + split["meta_test"]
    assert ordered == sorted(ordered) and [len(split[r]) for r in ROLES] == [15, 5, 11]


def write(tmp_path, text):
    path = tmp_path / "reuters.yaml"
    path.write_text(text)
    return path


def test_reuters_10_from_the_cli_reports_f1_and_micro_f1(reuters_home, tmp_path):
    from sklearn.metrics import f1_score

    path = write(tmp_path, f"dataset: {{name: reuters, data_home: '{reuters_home}'}}\n"
                           "split: {name: categories, categories: [corn, wheat, ship], n_train_per_task: [300]}\n"
                           "featurizer: {name: tfidf, sublinear_tf: true, min_df: 2}\n"
                           "learners: [{name: single-task, estimator: linear-svc}]\nseeds: [0, 1]\n")
    result = runner.invoke(app, ["train", str(path), "--runs", str(tmp_path / "runs"), "-q"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (tmp_path / "runs" / "reuters" / "results.jsonl").open()]
    assert {r["task"] for r in records} == {"corn", "wheat", "ship"}
    for r in records:
        assert r["tp"] + r["fn"] == count(r["task"], "test")
        assert r["f1"] == pytest.approx(2 * r["tp"] / (2 * r["tp"] + r["fp"] + r["fn"]))
    row = next(csv.DictReader((tmp_path / "runs" / "reuters" / "accuracy.csv").open()))
    per_seed = []
    for seed in (0, 1):
        tp, fp, fn = (sum(r[k] for r in records if r["seed"] == seed) for k in ("tp", "fp", "fn"))
        y_true = [1] * (tp + fn) + [0] * fp
        y_pred = [1] * tp + [0] * fn + [1] * fp
        per_seed.append(f1_score(y_true, y_pred))
    assert float(row["micro_f1_mean"]) == pytest.approx(np.mean(per_seed), abs=1e-6)
    assert float(row["f1_mean"]) == pytest.approx(np.mean([r["f1"] for r in records]), abs=1e-6)


def test_few_shot_episodes_draw_support_and_queries_from_the_620(reuters_home, tmp_path):
    path = write(tmp_path, f"dataset: {{name: reuters, documents: bao2020, data_home: '{reuters_home}'}}\n"
                           "split: {name: episodes, classes: bao2020-reuters, queries: train-part, k_shot: [5], "
                           "n_query: 15, n_episodes: 30, n_val_episodes: 5}\n"
                           "featurizer: {name: tfidf, sublinear_tf: true}\n"
                           "learners: [{name: prototypes}]\nseeds: [0]\n")
    result = runner.invoke(app, ["train", str(path), "--runs", str(tmp_path / "runs"), "-q"])
    assert result.exit_code == 0, result.output
    row = next(csv.DictReader((tmp_path / "runs" / "reuters" / "accuracy.csv").open()))
    assert row["n_episodes"] == "30" and 0.5 < float(row["accuracy_mean"]) <= 1.0
    # 5 support + 16 queries exceed a topic's 20 stories: one line, exit 2, before any work
    too_many = write(tmp_path, path.read_text().replace("n_query: 15", "n_query: 16"))
    result = runner.invoke(app, ["check", str(too_many)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
    assert "has 20 documents in the reuters train part; a 5-shot episode with n_query 16 needs 21" in result.stderr


@pytest.mark.parametrize("split, message", [
    ("{name: categories, categories: [corn, no-such-topic]}", "no training document of category 'no-such-topic'"),
    ("{name: episodes, classes: bao2020}", "split episodes: reuters has no class"),
])
def test_split_mistakes_on_reuters_are_one_line_errors(reuters_home, tmp_path, split, message):
    path = write(tmp_path, f"dataset: {{name: reuters, data_home: '{reuters_home}'}}\nsplit: {split}\n"
                           "featurizer: {name: tfidf}\nlearners: [{name: single-task}]\nseeds: [0]\n")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
    assert message in result.stderr


def test_missing_corpus_and_wrong_zips_are_one_line_errors(tmp_path):
    path = write(tmp_path, f"dataset: {{name: reuters, data_home: '{tmp_path / 'empty'}'}}\n"
                           "split: {name: categories}\nfeaturizer: {name: tfidf}\nlearners: [{name: single-task}]\n")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2 and "mtl data import PATH/reuters.zip" in result.stderr
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("readme.txt", "not reuters")
    short = tmp_path / "short.zip"
    with zipfile.ZipFile(short, "w") as z:
        z.writestr("reuters/cats.txt", "training/1 cocoa\ntest/2 earn\n")
        z.writestr("reuters/training/1", "COCOA\n")
    flipped = tmp_path / "flipped.zip"
    with zipfile.ZipFile(flipped, "w") as z:  # stored, not compressed: one flipped byte breaks the CRC only
        z.writestr("reuters/cats.txt", "training/1 cocoa\n" * 50)
    data = bytearray(flipped.read_bytes())
    data[data.index(b"training/1 cocoa")] ^= 0x20
    flipped.write_bytes(bytes(data))
    corrupt = tmp_path / "corrupt.zip"
    if ARCHIVE.is_file():
        corrupt.write_bytes(ARCHIVE.read_bytes()[:-5000])
    else:
        corrupt.write_bytes(b"PK\x03\x04 truncated")
    for archive, message in ((other, "without reuters/cats.txt"), (short, "lists 1 training and 1 test stories"),
                             (flipped, "reuters/cats.txt fails its check"), (corrupt, "")):
        result = runner.invoke(app, ["data", "import", str(archive), "--data-home", str(tmp_path / "home")])
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
        assert str(archive) in result.stderr and message in result.stderr
    assert not (tmp_path / "home" / "mtl_reuters").exists()
