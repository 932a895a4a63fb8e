"""Sentence-embedding cost on this machine: encoding throughput, cache reads, and a config's one-time cost.

Encodes the first ``--posts`` 20 Newsgroups train posts with the model into
an empty cache (posts/s, all cores), reads them back from the cache, and
counts the distinct posts a config reads, which is what its first run
encodes. Needs the embed extra and the model (``mtl data import``).

    python benchmarks/bench_embeddings.py [--posts 500] [--config configs/newsgroups-fewshot-embed.yaml]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

from measured import Measured

from mtl_cli import config as config_module
from mtl_cli.embeddings import pick_device
from mtl_cli.features import SentenceEmbedding, Workspace
from mtl_cli.prepare import corpus_of
from mtl_cli.protocols.episodic import episodes_split


def distinct_texts(config_path: str) -> int:
    """How many distinct posts an episodic config's featurizer transforms (its first run encodes them)."""
    experiment = config_module.load(config_path)
    spec = experiment.feature_spec(experiment.seeds[0], experiment.sizes[0])
    corpus = corpus_of(spec)
    parts = episodes_split(spec).parts(corpus)
    train_rows = np.concatenate([parts.meta_train, parts.meta_val, parts.support_pool])
    texts = set(corpus.train.rows(np.unique(train_rows))) | set(corpus.test.rows(np.unique(parts.query_pool)))
    return len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--config", default="configs/newsgroups-fewshot-embed.yaml")
    args = parser.parse_args()
    from sklearn.datasets import fetch_20newsgroups

    posts = fetch_20newsgroups(subset="train", download_if_missing=False).data[: args.posts]
    params = SentenceEmbedding.parameters()
    with tempfile.TemporaryDirectory() as cache:
        encoder = SentenceEmbedding.build({}, 0, Workspace(cache))
        encoder.transform(posts[:8])  # load the model once, outside the timing
        start = time.perf_counter()
        encoder.transform(posts[8:])
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        encoder.transform(posts)
        cached = time.perf_counter() - start
    rate = (len(posts) - 8) / seconds
    n_texts = distinct_texts(args.config)
    out = Measured("embeddings")
    out.say("| model | max_seq_length | batch | device | posts encoded | seconds | posts/s "
            "| read back from the cache, s |")
    out.say("|---|---|---|---|---|---|---|---|")
    out.say(f"| {params['model']} | {params['max_seq_length']} | {params['batch_size']} "
            f"| {pick_device(params['device'])} | {len(posts) - 8:,} | {seconds:.1f} | {rate:.1f} | {cached:.2f} |")
    out.say()
    out.say("| config | distinct posts it reads | first run's encoding at this rate, min |")
    out.say("|---|---|---|")
    out.say(f"| {args.config} | {n_texts:,} | {n_texts / rate / 60:.0f} |")
    out.save()


if __name__ == "__main__":
    main()
