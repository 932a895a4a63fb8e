"""How many LSA dimensions to join with the sentence embeddings, chosen on meta-validation episodes.

``configs/newsgroups-fewshot-embed.yaml`` joins LSA, fitted on the unlabelled
train part, with MiniLM sentence embeddings. This script scores each
candidate LSA size with ``prototypes`` on episodes that are never meta-test:
the meta-validation classes (the selection set) and, as a second look, the
meta-train classes (prototypes learn nothing from them, so they are fair
validation classes too). Each cell is the mean accuracy over 200 seeded
5-way episodes with 25 queries per class, inductive and transductive
(3 soft k-means steps at temperature 20). Meta-test classes are never read.
The size with the highest mean over the eight columns is marked chosen.

    python benchmarks/fewshot_lsa_dims.py    (writes runs/fewshot-lsa-dims/lsa-dims.md; needs the embed extra)
"""

from __future__ import annotations

import copy
from pathlib import Path

from mtl_cli import config
from mtl_cli.fileio import write_atomic
from mtl_cli.learners.meta import Prototypes
from mtl_cli.protocols.episodic import EpisodicValidation, cached_episode_data

CONFIG = "configs/newsgroups-fewshot-embed.yaml"
DIMENSIONS = (50, 75, 100, 150, 200, 300)
SHOTS = (1, 5)
N_EPISODES = 200
OUT = Path("runs/fewshot-lsa-dims")


def scores(data, part: str, k_shot: int) -> tuple[float, float]:
    """(inductive, transductive) mean accuracy of prototypes on episodes of one part's classes."""
    X, y = (data.X_meta_val, data.y_meta_val) if part == "meta_val" else (data.X_meta_train, data.y_meta_train)
    episodes = EpisodicValidation(X, y, data.classes[part], 5, k_shot, 25, N_EPISODES, seed=0)
    inductive = Prototypes().meta_fit(X, y)
    transductive = Prototypes(transductive=True, temperatures=(20.0,)).meta_fit(X, y)
    return episodes.score(inductive.adapt), episodes.score(transductive.adapt, with_queries=True)


def main() -> None:
    experiment = config.load(CONFIG)
    base = experiment.feature_spec(experiment.seeds[0], experiment.sizes[0])
    header = ["LSA dimensions"] + [f"{name} {k}-shot {kind}" for name in ("meta-val", "meta-train classes")
                                   for k in SHOTS for kind in ("ind.", "trans.")] + ["mean"]
    rows = {}
    for dimensions in DIMENSIONS:
        spec = copy.deepcopy(base)
        spec["featurizer"]["parts"][0]["n_components"] = dimensions
        data = cached_episode_data(spec, "runs/.cache")
        rows[dimensions] = [100 * score for part in ("meta_val", "meta_train") for k in SHOTS
                            for score in scores(data, part, k)]
        print(dimensions, " ".join(f"{c:.1f}" for c in rows[dimensions]), flush=True)
    chosen = max(rows, key=lambda d: sum(rows[d]))
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for dimensions, cells in rows.items():
        name = f"**{dimensions}** (chosen)" if dimensions == chosen else str(dimensions)
        lines.append(f"| {name} | " + " | ".join(f"{c:.1f}" for c in cells) + f" | {sum(cells) / len(cells):.2f} |")
    OUT.mkdir(parents=True, exist_ok=True)
    write_atomic(OUT / "lsa-dims.md", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
