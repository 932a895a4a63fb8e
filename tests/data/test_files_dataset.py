import json

import numpy as np
import pytest

from mtl_cli.data.files import LabelledFiles
from mtl_cli.data.splits import ByColumn
from mtl_cli.errors import DataError

ROWS = [
    {"text": f"document number {i} about {'cats' if i % 2 else 'dogs'}", "label": "pos" if i % 2 else "neg",
     "task": "t1" if i < 20 else "t2"}
    for i in range(40)
]


def write_csv(path, rows, columns=("text", "label", "task")):
    lines = [",".join(columns)] + [",".join(f'"{r[c]}"' for c in columns) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_csv_round_trip_with_stratified_test_fraction(tmp_path):
    corpus = LabelledFiles(str(write_csv(tmp_path / "d.csv", ROWS)), test_size=0.25, seed=0).load()
    assert len(corpus.train) + len(corpus.test) == 40
    assert len(corpus.test) == 12  # 0.25 x 10 = 2.5, rounded half up, in each (task, label) stratum
    texts = set(corpus.train.data) | set(corpus.test.data)
    assert texts == {r["text"] for r in ROWS}
    assert not set(corpus.train.data) & set(corpus.test.data)
    for part in (corpus.train, corpus.test):
        for text, label, task in zip(part.data, part.labels, part.tasks):
            row = next(r for r in ROWS if r["text"] == text)
            assert (label, task) == (row["label"], row["task"])
    tasks = ByColumn().tasks(corpus)
    assert [t.name for t in tasks] == ["t1", "t2"]
    again = LabelledFiles(str(tmp_path / "d.csv"), test_size=0.25, seed=0).load()
    assert again.test.data == corpus.test.data


def test_jsonl_with_split_column(tmp_path):
    path = tmp_path / "d.jsonl"
    rows = [dict(r, split="test" if i % 4 == 0 else "train") for i, r in enumerate(ROWS)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    corpus = LabelledFiles(str(path)).load()
    assert corpus.test.data == [r["text"] for r in rows if r["split"] == "test"]
    assert np.array_equal(corpus.train.labels, [r["label"] for r in rows if r["split"] == "train"])


@pytest.mark.parametrize(
    "content, message",
    [
        ("text,task\nhello,a\n", "has no column 'label'"),
        ("text,label\nhello,pos\n,neg\n", "row 3: column 'text' is empty"),
        ("text,label\nhello,\n", "row 2: column 'label' is empty"),
        ("text,label,split\nhello,pos,valid\n", "row 2: column 'split' must be 'train' or 'test'"),
    ],
)
def test_csv_errors_name_row_and_column(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=message) as info:
        LabelledFiles(str(path)).load()
    assert str(path) in str(info.value)


def test_jsonl_errors(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "a", "label": "x"}\nnot json\n')
    with pytest.raises(DataError, match="line 2: not valid JSON"):
        LabelledFiles(str(path)).load()
    with pytest.raises(DataError, match="no such file"):
        LabelledFiles(str(tmp_path / "missing.csv")).load()
    (tmp_path / "d.txt").write_text("x")
    with pytest.raises(DataError, match="unknown file type '.txt'"):
        LabelledFiles(str(tmp_path / "d.txt")).load()


def test_excel_bom_and_whitespace_around_labels_are_one_rule(tmp_path):
    path = tmp_path / "excel.csv"
    body = "text,label , task\n" + "".join(f"doc {i},{' pos' if i % 2 else 'neg '},{'a' if i < 10 else 'b'}\n"
                                            for i in range(20))
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))  # the byte-order mark Excel writes
    corpus = LabelledFiles(str(path), test_size=0.25, seed=0).load()
    assert set(corpus.train.labels) == {"pos", "neg"} and set(corpus.train.tasks) == {"a", "b"}


def test_jsonl_integer_and_boolean_labels_are_their_json_text(tmp_path):
    path = tmp_path / "ints.jsonl"
    lines = [json.dumps({"text": f"doc {i}", "label": i % 2, "split": "test" if i % 4 < 2 else "train"})
             for i in range(16)]
    path.write_text("\n".join(lines) + "\n")
    corpus = LabelledFiles(str(path)).load()
    assert set(corpus.train.labels) == {"0", "1"}
    path.write_text("\n".join(line.replace('"label": 1', '"label": true').replace('"label": 0', '"label": false')
                              for line in lines) + "\n")
    assert set(LabelledFiles(str(path)).load().train.labels) == {"true", "false"}


def test_a_task_with_one_training_class_is_a_warning_naming_it(tmp_path):
    from typer.testing import CliRunner

    from mtl_cli.cli import app

    rows = [
        {"text": f"word{i} thing", "label": "pos" if (i % 2 or i >= 20) else "neg", "task": "t1" if i < 20 else "t2"}
        for i in range(40)
    ]
    data = write_csv(tmp_path / "d.csv", rows)
    config = tmp_path / "c.yaml"
    config.write_text(f"dataset: {{name: files, path: {data}}}\nsplit: {{name: by-column}}\n"
                      "learners: [{name: single-task, estimator: logistic}]\n")
    result = CliRunner().invoke(app, ["train", str(config), "--runs", str(tmp_path / "runs"), "-q"])
    assert result.exit_code == 0, result.output
    assert "Warning: task 't2' has one class in its training data ('pos')" in result.stderr
