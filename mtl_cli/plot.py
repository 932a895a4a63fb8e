"""Learning curves from a run's accuracy table: one line per learner, a band for the 95% CI.

The curve of learner l is metric_mean(l, size) against the training size
(posts per task, or shots per class for episodic runs), with the band
metric_mean ± metric_ci95. matplotlib is an optional extra
(``pip install 'mtl-cli[plot]'``); it is imported only here.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from .errors import UserError

def require_matplotlib(what: str) -> None:
    """A UserError saying how to install matplotlib, when it is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UserError(f"{what} needs matplotlib: pip install 'mtl-cli[plot]'") from None


def learning_curves(rows: list[dict], metric: str = "accuracy", title: str = "", size_key: str = "n_train_per_task"):
    """A matplotlib Figure of ``metric`` against training size, one line and CI band per learner.

    Numeric sizes go on a log axis when they span a factor of 10 or more;
    sizes that are not all numbers (``all``) are placed in table order.
    """
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    sizes = list(dict.fromkeys(row[size_key] for row in rows))
    numeric = all(isinstance(size, (int, float)) for size in sizes)
    position = {size: (size if numeric else i) for i, size in enumerate(sizes)}
    figure, axes = plt.subplots(figsize=(7, 4.5), layout="constrained")
    several_ways = len({row.get("n_way") for row in rows}) > 1  # episodic runs may mix 5-way and 10-way

    def curve_of(row):
        return f"{row['learner']} ({row['n_way']}-way)" if several_ways else row["learner"]

    for curve in dict.fromkeys(map(curve_of, rows)):
        points = sorted((position[row[size_key]], row[f"{metric}_mean"], row[f"{metric}_ci95"])
                        for row in rows if curve_of(row) == curve)
        xs, means, cis = zip(*points)
        cis = [0.0 if ci is None or math.isnan(ci) else ci for ci in cis]
        (line,) = axes.plot(xs, means, marker="o", label=curve)
        axes.fill_between(xs, [m - c for m, c in zip(means, cis)], [m + c for m, c in zip(means, cis)],
                          color=line.get_color(), alpha=0.2, linewidth=0)
    if numeric and max(sizes) >= 10 * min(sizes) > 0:
        axes.set_xscale("log")
    axes.set_xticks([position[size] for size in sizes], [str(size) for size in sizes])
    axes.minorticks_off()
    axes.set_xlabel("shots per class" if size_key == "k_shot" else "training examples per task")
    axes.set_ylabel(f"test {metric.replace('_', ' ')}")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small", loc="best")
    return figure


def plot_run(run_dir: Path, metric: str = "accuracy", out: Path | None = None) -> Path:
    """Draw the learning curves of a run directory's accuracy table into ``out`` (PNG, SVG or PDF).

    The default is ``<run_dir>/<metric>.png``. The file is written atomically.
    """
    from .fileio import write_atomic
    from .rundir import read_table, run_protocol

    run_dir = Path(run_dir)
    rows = read_table(run_dir)
    available = sorted(key.removesuffix("_mean") for key in rows[0] if key.endswith("_mean"))
    if metric not in available:
        raise UserError(f"--metric: {metric!r} is not in {run_dir / 'accuracy.json'}; expected one of {available}")
    out = Path(out) if out is not None else run_dir / f"{metric}.png"
    if out.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise UserError(f"--out: {out} must end in .png, .svg or .pdf")
    require_matplotlib("plotting")
    episodic = run_protocol(run_dir) == "episodic"
    spread = "episodes" if episodic else "seeds"
    title = f"{run_dir.name}: test {metric.replace('_', ' ')} (mean ± 95% CI over {spread})"
    figure = learning_curves(rows, metric, title, "k_shot" if episodic else "n_train_per_task")
    buffer = io.BytesIO()
    figure.savefig(buffer, format=out.suffix[1:].lower(), dpi=150)
    import matplotlib.pyplot as plt

    plt.close(figure)
    write_atomic(out, buffer.getvalue())
    return out
