"""Property-based fuzzing of user data files: whatever a CSV or JSONL holds, `mtl train` on it exits
0 or 2 with one line, never 1, never a traceback."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, event, given, settings, strategies as st
from typer.testing import CliRunner

from mtl_cli.cli import app

runner = CliRunner()
COLUMNS = ["text", "label", "task", "split", "extra"]
CELLS = st.one_of(
    st.sampled_from(["", " ", "pos", "neg", " pos ", "a", "b", "train", "test", "dev", "1", "1.0", "true",
                     "the and of", "good movie", "bad film", "caf\u00e9 \u00fcber", '"quoted, comma"',
                     "line\nbreak", "\x00", "x" * 300]),
    st.text(max_size=20),
)


WORDS = ["good", "bad", "movie", "film", "great", "awful", "plot", "actor"]
GOOD = {"text": lambda d: " ".join(d(st.lists(st.sampled_from(WORDS), min_size=1, max_size=5))),
        "label": lambda d: d(st.sampled_from(["pos", "neg", " pos", "neg "])),
        "task": lambda d: d(st.sampled_from(["a", "b", "c"])),
        "split": lambda d: d(st.sampled_from(["train", "train", "test"])),
        "extra": lambda d: d(CELLS)}


def row_of(draw, header):
    """A mostly valid row; now and then a cell is odd, a cell is missing or one too many."""
    row = [GOOD[c](draw) if draw(st.integers(0, 9)) else draw(CELLS) for c in header]
    if not draw(st.integers(0, 19)):
        row = row[:-1] if draw(st.booleans()) else row + ["x"]
    return row


@st.composite
def csv_files(draw):
    header = ["text", "label"] + draw(st.lists(st.sampled_from(COLUMNS), max_size=3))
    if not draw(st.integers(0, 9)):
        header = draw(st.permutations(header))[1:]  # a required column may go missing
    rows = [row_of(draw, header) for _ in range(draw(st.integers(0, 40)))]

    def quote(cell):
        return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\n\r') else cell

    text = ",".join(header) + "\n" + "".join(",".join(map(quote, row)) + "\n" for row in rows)
    prefix = "\ufeff" if draw(st.booleans()) else ""
    return "data.csv", prefix + text


@st.composite
def jsonl_files(draw):
    values = st.one_of(CELLS, st.integers(-2, 2), st.booleans(), st.none(), st.floats(allow_nan=True),
                       st.lists(st.integers(), max_size=2))
    header = ["text", "label"] + draw(st.lists(st.sampled_from(["task", "split"]), max_size=2, unique=True))
    rows = []
    for _ in range(draw(st.integers(0, 40))):
        row = {c: GOOD[c](draw) if draw(st.integers(0, 9)) else draw(values) for c in header}
        if not draw(st.integers(0, 19)):
            row.pop(draw(st.sampled_from(header)))
        rows.append(row)
    lines = [json.dumps(row) for row in rows]
    if draw(st.booleans()) and lines:
        lines[draw(st.integers(0, len(lines) - 1))] = draw(st.sampled_from(["{", "[1]", "null", "not json"]))
    return "data.jsonl", "\n".join(lines) + "\n"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(csv_files(), jsonl_files()), split=st.sampled_from(["by-column", "single", "one-vs-rest"]))
def test_train_on_any_data_file_exits_0_or_2(data, split, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz-files")
    name, content = data
    (folder / name).write_text(content, encoding="utf-8", errors="surrogatepass")
    (folder / "c.yaml").write_text(
        f"dataset: {{name: files, path: {name}}}\nsplit: {{name: {split}, n_train_per_task: [4]}}\n"
        "learners: [{name: pooled, estimator: logistic}]\nn_jobs: 1\n"
    )
    result = runner.invoke(app, ["train", str(folder / "c.yaml"), "--runs", str(folder / "runs"), "-q"])
    event(f"exit {result.exit_code}")
    assert result.exit_code in (0, 2), (result.exit_code, result.output, repr(result.exception))
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert len([line for line in result.stderr.splitlines() if line.startswith("Error: ")]) == 1
