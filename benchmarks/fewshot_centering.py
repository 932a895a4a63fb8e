"""Whether to centre the features before the within-class metric, decided on meta-validation episodes.

``prototypes`` with ``center: true`` subtracts the meta-train documents' mean
(unit rows) before the metric and the cosine (SimpleShot's CL2N, Wang et
al., 2019). This script scores ``prototypes[metric=within-class]``, inductive
and transductive, with and without centring, on episodes of each episodic
config's meta-validation classes: the shrinkage (and temperature) chosen, as
in ``mtl train``, on the config's seeded validation episodes, then the mean
accuracy over 200 other seeded episodes of the same classes. Meta-test
classes are never read. A config gets centred rows where the mean gain over
its four columns is positive.

    python benchmarks/fewshot_centering.py    (writes runs/fewshot-centering/centering.md; needs the embed extra)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from meta_val import CONFIGS, SHOTS, episode_data, meta_val_accuracy

from mtl_cli.fileio import write_atomic

SCORING_SEED = 1
OUT = Path("runs/fewshot-centering")


def main() -> None:
    columns = [(k, transductive) for k in SHOTS for transductive in (False, True)]
    header = ["config", "centred"] + [f"{k}-shot {'trans.' if t else 'ind.'}" for k, t in columns] + ["mean gain"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in CONFIGS:
        data, split = episode_data(name)
        cells = {center: [meta_val_accuracy(data, split, k, {"center": center, "transductive": t}, SCORING_SEED)
                          for k, t in columns] for center in (False, True)}
        gain = float(np.mean(np.subtract(cells[True], cells[False])))
        print(name, cells, f"{gain:+.2f}", flush=True)
        for center in (False, True):
            verdict = (f"{gain:+.2f}" + (" (adopted)" if gain > 0 else " (not adopted)")) if center else ""
            lines.append(f"| {name} | {'yes' if center else 'no'} | "
                         + " | ".join(f"{c:.1f}" for c in cells[center]) + f" | {verdict} |")
    OUT.mkdir(parents=True, exist_ok=True)
    write_atomic(OUT / "centering.md", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
