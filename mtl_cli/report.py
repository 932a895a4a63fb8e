"""``mtl report``: one self-contained HTML page of a run, readable offline and shareable as one file.

It holds the run's config and manifest, the accuracy table, the learning
curves, a per-task gain chart (each task's accuracy minus the baseline's,
per training size; runs with tasks only) and the paired comparison with the
baseline (Holm-adjusted, as ``mtl compare``). Figures are inline SVG drawn
by matplotlib, styles are inline, and there is no script and no external
reference: nothing is fetched when the page is opened.
"""

from __future__ import annotations

import html
import io
import json
import math
from pathlib import Path

from .errors import UserError

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
.better { color: #1a7f37; font-weight: 600; } .worse { color: #c62828; font-weight: 600; }
.note { color: #555; }
svg { max-width: 100%; height: auto; }
"""


def cell_text(key: str, row: dict) -> str:
    value = row[key]
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.3g}" if key.startswith("p_") else f"{value:.3f}"
    return str(value)


def html_table(rows: list[dict], columns: list[str] | None = None) -> str:
    """Rows as an HTML table; ``x_mean``/``x_ci95`` pairs shown as one "mean ± ci" column."""
    if not rows:
        return '<p class="note">(no rows)</p>'
    columns = columns or [k for k in rows[0] if not k.endswith("_ci95")]
    head = "".join(f"<th>{html.escape(c.removesuffix('_mean'))}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for column in columns:
            text = cell_text(column, row)
            ci = row.get(column.removesuffix("_mean") + "_ci95") if column.endswith("_mean") else None
            if isinstance(ci, float) and not math.isnan(ci):
                text += f" ± {ci:.3f}"
            css = f' class="{row[column]}"' if column == "verdict" and row[column] in ("better", "worse") else ""
            cells.append(f"<td{css}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def svg_of(figure) -> str:
    """A matplotlib figure as inline SVG markup (closed afterwards)."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def gain_figure(per_task: list[dict], baseline: str, size_key: str, metric: str = "accuracy"):
    """One heatmap per learner: rows tasks, columns sizes, cell = its task ``metric`` minus the baseline's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    base = {(r["task"], r[size_key]): r[f"{metric}_mean"] for r in per_task if r["learner"] == baseline}
    learners = [name for name in dict.fromkeys(r["learner"] for r in per_task) if name != baseline]
    tasks = list(dict.fromkeys(r["task"] for r in per_task))
    sizes = list(dict.fromkeys(r[size_key] for r in per_task))
    if not learners or not base:
        return None
    own = {(r["learner"], r["task"], r[size_key]): r[f"{metric}_mean"] for r in per_task}
    gains = np.full((len(learners), len(tasks), len(sizes)), np.nan)
    for i, learner in enumerate(learners):
        for j, task in enumerate(tasks):
            for k, size in enumerate(sizes):
                if (learner, task, size) in own and (task, size) in base:
                    gains[i, j, k] = 100 * (own[(learner, task, size)] - base[(task, size)])
    limit = max(1.0, float(np.nanmax(np.abs(gains)))) if np.isfinite(gains).any() else 1.0
    height = 1.2 + 0.28 * len(tasks)
    figure, axes = plt.subplots(1, len(learners), figsize=(2.2 + 2.0 * len(learners) + 0.5 * len(sizes), height),
                                sharey=True, layout="constrained", squeeze=False)
    for i, (learner, ax) in enumerate(zip(learners, axes[0])):
        image = ax.imshow(gains[i], cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
        ax.set_xticks(range(len(sizes)), [str(s) for s in sizes], fontsize=7)
        ax.set_title(learner, fontsize=7)
        ax.set_xlabel("shots per class" if size_key == "k_shot" else "per task", fontsize=7)
    axes[0][0].set_yticks(range(len(tasks)), tasks, fontsize=7)
    figure.colorbar(image, ax=axes[0].tolist(), label=f"{metric} minus {baseline} (points)", shrink=0.8)
    return figure


def build_report(run_dir: Path, baseline: str | None = None, metric: str | None = None) -> str:
    """The report page of a run directory, as HTML text, for ``metric`` (default: ``f1`` where tasks
    are scored by their positive class, as in ``split: categories``, else ``accuracy``)."""
    from .compare import paired_rows, resolve_baseline
    from .plot import learning_curves, require_matplotlib
    from .results import metrics_of, per_task_rows, scored_by_positive_class
    from .rundir import read_manifest, read_records, read_table, run_protocol

    run_dir = Path(run_dir)
    rows = read_table(run_dir)
    records = read_records(run_dir)
    if metric is None:
        metric = "f1" if scored_by_positive_class(records) else "accuracy"
    if metric not in metrics_of(records):
        raise UserError(f"--metric: {metric!r} is not in {run_dir / 'results.jsonl'}; expected one of "
                        f"{list(metrics_of(records))}")
    require_matplotlib("the report's figures")
    episodic = run_protocol(run_dir) == "episodic"
    size_key = "k_shot" if episodic else "n_train_per_task"
    learners = list(dict.fromkeys(r["learner"] for r in records))
    baseline = resolve_baseline(learners, baseline if baseline is not None else learners[0])
    manifest = read_manifest(run_dir)
    config = (run_dir / "config.yaml").read_text(encoding="utf-8") if (run_dir / "config.yaml").is_file() else ""
    spread = "episodes" if episodic else "seeds"
    curves = svg_of(learning_curves(rows, metric, "", size_key))
    sections = [
        f"<h1>{html.escape(run_dir.name)}</h1>",
        f'<p class="note">Protocol {html.escape(run_protocol(run_dir))}; started '
        f"{html.escape(str(manifest.get('started', '?')))}; versions "
        f"{html.escape(', '.join(f'{k} {v}' for k, v in manifest.get('versions', {}).items()))}.</p>",
        f"<h2>Test scores (mean ± 95% CI over {spread})</h2>", html_table(rows),
        f"<h2>Learning curves: test {html.escape(metric.replace('_', ' '))}</h2>", curves,
    ]
    if not episodic:
        figure = gain_figure(per_task_rows(records, size_key), baseline, size_key, metric)
        sections += [f"<h2>Per-task gain over {html.escape(baseline)}</h2>",
                     f'<p class="note">Each task\'s mean {html.escape(metric)} over seeds minus the baseline\'s, '
                     'in points; '
                     "blue: better than the baseline, red: worse.</p>",
                     svg_of(figure) if figure is not None else '<p class="note">(no other learner)</p>']
    comparison = paired_rows(records, baseline, metric)
    sections += [f"<h2>Paired comparison with {html.escape(baseline)}</h2>",
                 f'<p class="note">Paired over {"episodes" if episodic else "seeds"}; p-values Holm-adjusted '
                 f"over the {len(comparison)} comparisons; the verdict uses the adjusted value.</p>",
                 html_table(comparison, [k for k in (comparison[0] if comparison else {})
                                         if k not in ("baseline", "difference_ci95", "test")] or None),
                 "<h2>Config</h2>", f"<pre>{html.escape(config)}</pre>",
                 "<h2>Manifest</h2>", f"<pre>{html.escape(json.dumps(manifest, indent=2))}</pre>"]
    title = html.escape(f"mtl report: {run_dir.name}")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{STYLE}</style></head><body>{''.join(sections)}</body></html>\n")


def write_report(run_dir: Path, baseline: str | None = None, out: Path | None = None,
                 metric: str | None = None) -> Path:
    from .fileio import write_atomic

    out = Path(out) if out is not None else Path(run_dir) / "report.html"
    if out.suffix.lower() not in (".html", ".htm"):
        raise UserError(f"--out: {out} must end in .html")
    write_atomic(out, build_report(run_dir, baseline, metric))
    return out
