"""The sentence-embedding featurizer, on the real all-MiniLM-L6-v2 weights from ../shared/data.

Skipped, with the reason, without the ``embed`` extra or the model archive;
the tests of what happens without the extra run everywhere.
"""

from __future__ import annotations

import importlib.util
import shutil
import tarfile
import warnings

import numpy as np
import pytest
from typer.testing import CliRunner

from mtl_cli import embeddings
from mtl_cli.archives import import_archive
from mtl_cli.cli import app
from mtl_cli.embeddings import EmbeddingCacheWarning, SentenceEncoder
from tests.conftest import REPO

MODEL_ARCHIVE = REPO.parent / "shared" / "data" / "all-MiniLM-L6-v2.tar.gz"
HAS_EXTRA = importlib.util.find_spec("sentence_transformers") is not None
SKIP_WITHOUT_MODEL = pytest.mark.skipif(
    not (HAS_EXTRA and MODEL_ARCHIVE.is_file()),
    reason="needs the embed extra (pip install 'mtl-cli[embed]') and ../shared/data/all-MiniLM-L6-v2.tar.gz",
)


def needs_model(test):
    """Marked ``embed`` (``-m "not embed"`` leaves them out) and skipped without the extra or the model."""
    return pytest.mark.embed(SKIP_WITHOUT_MODEL(test))
POSTS = [
    "The new graphics card renders 3D scenes twice as fast.",
    "Our team won the hockey game in overtime last night.",
    "Does anyone know a good SCSI driver for this motherboard?",
    "The pitcher threw a no-hitter in the baseball playoffs.",
    "Dieser Satz ist auf Deutsch, und das Modell liest ihn trotzdem.",
]


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def minilm(tmp_path_factory):
    """The model folder, installed by ``mtl data import`` into a fresh models home."""
    if not (HAS_EXTRA and MODEL_ARCHIVE.is_file()):
        pytest.skip("needs the embed extra and the model archive")
    return import_archive(MODEL_ARCHIVE, models_home=tmp_path_factory.mktemp("models"))


def encoder(model, cache_dir, **settings):
    return SentenceEncoder(**({"model": str(model), "max_seq_length": 256, "batch_size": 4, "normalize": True,
                               "device": "cpu", "cache_dir": cache_dir} | settings))


@needs_model
def test_same_vectors_as_sentence_transformers_called_directly(minilm, tmp_path):
    from sentence_transformers import SentenceTransformer

    direct = SentenceTransformer(str(minilm), device="cpu")
    direct.max_seq_length = 256
    expected = direct.encode(POSTS, normalize_embeddings=True)
    vectors = encoder(minilm, str(tmp_path)).transform(POSTS)
    assert vectors.shape == (5, 384) and vectors.dtype == np.float32
    assert np.allclose(vectors, expected, atol=1e-5)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # related posts are closer: graphics card ~ SCSI driver, hockey ~ baseball
    similarity = vectors @ vectors.T
    assert similarity[1, 3] > similarity[1, 2] and similarity[0, 2] > similarity[0, 3]


@needs_model
def test_second_run_reads_the_cache_keyed_on_content_not_path(minilm, tmp_path, monkeypatch, capsys):
    first = encoder(minilm, str(tmp_path)).transform(POSTS)
    assert "encoding 5 texts" in capsys.readouterr().err
    moved = tmp_path / "elsewhere" / "renamed-model"
    shutil.copytree(minilm, moved)

    def no_encoding(*args):
        raise AssertionError("encoded again")

    monkeypatch.setattr(SentenceEncoder, "encode", no_encoding)
    again = encoder(moved, str(tmp_path)).transform(POSTS[::-1] + POSTS[:1])  # same content, other path
    assert np.array_equal(again, np.vstack([first[::-1], first[:1]]))
    assert capsys.readouterr().err == ""
    # a setting that changes the vectors is another key, so it encodes
    with pytest.raises(AssertionError, match="encoded again"):
        encoder(minilm, str(tmp_path), max_seq_length=8).transform(POSTS)
    # and so does other text
    with pytest.raises(AssertionError, match="encoded again"):
        encoder(minilm, str(tmp_path)).transform([POSTS[0] + " "])


@needs_model
def test_only_new_texts_are_encoded_and_a_corrupt_shard_is_encoded_again(minilm, tmp_path):
    cache = str(tmp_path)
    encoder(minilm, cache).transform(POSTS[:2])
    calls = []
    original = SentenceEncoder.encode

    def counting(self, folder, texts):
        calls.append(list(texts))
        return original(self, folder, texts)

    SentenceEncoder.encode = counting
    try:
        encoder(minilm, cache).transform(POSTS)
        assert calls == [POSTS[2:]]
        shards = sorted((tmp_path / "embeddings").glob("*/*.npz"))
        assert len(shards) == 2
        shards[0].write_bytes(b"not a zip file")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            vectors = encoder(minilm, cache).transform(POSTS)
        assert any(issubclass(w.category, EmbeddingCacheWarning) for w in caught)
        assert len(calls) == 2 and vectors.shape == (5, 384)
    finally:
        SentenceEncoder.encode = original


@needs_model
def test_train_on_a_user_csv_with_embeddings_and_the_models_home(minilm, tmp_path, monkeypatch):
    """The hub name resolves to the installed folder offline; fit never sees a test text."""
    monkeypatch.setenv("MTL_MODELS", str(minilm.parent))
    seen = []
    monkeypatch.setattr(SentenceEncoder, "fit", lambda self, texts: seen.extend(texts) or self)
    rng = np.random.default_rng(0)
    topics = {"sport": ["game", "team", "score", "season", "coach"], "tech": ["chip", "driver", "disk", "code", "cpu"]}
    lines = ["text,label,task,split"]
    for i in range(48):
        label = ["sport", "tech"][i % 2]
        words = " ".join(rng.choice(topics[label], 4))
        lines.append(f"the {words} {i},{label},{'ab'[i // 24]},{'test' if i % 6 >= 4 else 'train'}")
    data = tmp_path / "posts.csv"
    data.write_text("\n".join(lines) + "\n")
    config = tmp_path / "c.yaml"
    config.write_text(
        f"dataset: {{name: files, path: {data}}}\nsplit: {{name: by-column}}\n"
        "featurizer: {name: sentence-embedding, model: sentence-transformers/all-MiniLM-L6-v2, fit_on: train-pool}\n"
        "learners: [{name: single-task, estimator: logistic}, {name: pooled, estimator: logistic}]\n"
    )
    result = CliRunner().invoke(app, ["train", str(config), "--runs", str(tmp_path / "runs"), "-q"])
    assert result.exit_code == 0, result.output
    assert seen and not any(line.split(",")[0] in seen for line in lines[1:] if line.endswith(",test"))
    table = (tmp_path / "runs" / "c" / "accuracy.csv").read_text()
    assert "pooled" in table and "single-task" in table


def check_featurizer(tmp_path, featurizer: str) -> str:
    """``mtl check --no-data`` of a 20 Newsgroups config with this featurizer, which must fail in one line
    with exit code 2; returns that line."""
    config = tmp_path / "c.yaml"
    config.write_text("dataset: {name: 20newsgroups}\nsplit: {name: hierarchy-pairs}\n"
                      f"featurizer: {featurizer}\nlearners: [{{name: single-task}}]\n")
    result = CliRunner().invoke(app, ["check", str(config), "--no-data"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
    return result.stderr


def test_without_the_extra_check_says_how_to_get_it(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "sentence_transformers" else real(name, *a))
    line = check_featurizer(tmp_path, "{name: sentence-embedding}")
    assert "featurizer" in line and "pip install 'mtl-cli[embed]'" in line


@pytest.mark.skipif(not HAS_EXTRA, reason="needs the embed extra (pip install 'mtl-cli[embed]')")
def test_a_missing_model_is_one_line_naming_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("MTL_MODELS", str(tmp_path / "no-models"))
    line = check_featurizer(tmp_path, "{name: sentence-embedding, model: someone/no-such-model}")
    assert "'model' 'someone/no-such-model'" in line and "mtl data import" in line


def test_a_model_name_too_long_for_a_path_is_not_a_folder():
    """Found by the config fuzzer: looking up a 300-character name raised OSError (exit 1)."""
    assert not embeddings.is_model_folder(embeddings.Path("a" * 300))
    assert embeddings.local_folder("a" * 300) is None


@pytest.mark.skipif(not HAS_EXTRA, reason="needs the embed extra (pip install 'mtl-cli[embed]')")
def test_a_model_name_too_long_for_a_path_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("MTL_MODELS", str(tmp_path / "no-models"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    line = check_featurizer(tmp_path, f"{{name: sentence-embedding, model: {'a' * 300}}}")
    assert "'model'" in line and "mtl data import" in line


@pytest.mark.skipif(not HAS_EXTRA, reason="needs the embed extra (pip install 'mtl-cli[embed]')")
@pytest.mark.parametrize("device, message", [("gpu", "must be auto, cpu, cuda"), ("cuda:0", "no CUDA GPU")])
def test_a_device_that_is_not_here_is_refused_before_any_work(minilm, tmp_path, device, message):
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    line = check_featurizer(tmp_path, f"{{name: sentence-embedding, model: {minilm}, device: '{device}'}}")
    assert "featurizer" in line and message in line


def test_import_refuses_an_archive_that_is_not_one_model_folder(tmp_path):
    for name, files in (("two", {"a/modules.json": b"[]", "b/config.json": b"{}"}),
                        ("empty", {"m/modules.txt": b"", "m/sentence_bert_config.json": b"{}"})):
        archive = tmp_path / f"{name}.tar.gz"
        source = tmp_path / name
        for path, data in files.items():
            (source / path).parent.mkdir(parents=True, exist_ok=True)
            (source / path).write_bytes(data)
        with tarfile.open(archive, "w:gz") as tar:
            for path in files:
                tar.add(source / path, arcname=path)
        result = CliRunner().invoke(app, ["data", "import", str(archive), "--models-home", str(tmp_path / "home")])
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
    assert not (tmp_path / "home").exists() or not any((tmp_path / "home").iterdir())


def test_models_home_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MTL_MODELS", str(tmp_path))
    assert embeddings.models_home() == tmp_path
