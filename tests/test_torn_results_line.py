"""Issue 14, item 8a: a torn LAST line of results.jsonl (a crash while writing it) is skipped with
a warning, so `--resume` and `report` go on; a torn line in the middle is still an error.

Before the fix, a torn last line followed by a newline stopped every reader with
"line N is not a valid JSON object", forever.
"""

from __future__ import annotations

import logging

import pytest

from agentcl.errors import DataError
from agentcl.report import ResultsStore, build_report, write_curriculum
from test_report_fixtures import CURRICULUM_OUTCOMES, curriculum_runs


def _store_with_torn_tail(tmp_path, runs):
    write_curriculum(tmp_path, ["airline", "retail"])
    store = ResultsStore(tmp_path)
    store.add(runs[:6])
    with open(tmp_path / "results.jsonl", "a", encoding="utf-8") as handle:
        handle.write(runs[6].model_dump_json()[:200] + "\n")  # torn, then a newline (and a blank line)
        handle.write("\n")
    return store


def test_torn_last_line_is_skipped_then_cut_by_the_resumed_writer(tmp_path, caplog):
    runs = curriculum_runs({k: v for k, v in CURRICULUM_OUTCOMES.items() if k[0] < 2})
    _store_with_torn_tail(tmp_path, runs)
    store = ResultsStore(tmp_path)  # the resumed process
    with caplog.at_level(logging.WARNING):
        assert store.done_ids() == {r.id for r in runs[:6]}
        assert build_report(tmp_path).is_file()  # `python -m agentcl report` works on it
    assert any("torn last line" in r.getMessage() for r in caplog.records)
    store.add(runs[6:10])  # the resumed run appends after cutting the torn line
    assert [r.id for r in ResultsStore(tmp_path).runs()] == [r.id for r in runs[:10]]


def test_torn_middle_line_is_an_error(tmp_path):
    runs = curriculum_runs({k: v for k, v in CURRICULUM_OUTCOMES.items() if k[0] < 2})
    _store_with_torn_tail(tmp_path, runs)
    with open(tmp_path / "results.jsonl", "a", encoding="utf-8") as handle:
        handle.write(runs[7].model_dump_json() + "\n")  # written after the torn line: not a crash tail
    with pytest.raises(DataError, match=r"results\.jsonl.*line 7 is not a valid JSON object"):
        ResultsStore(tmp_path).runs()
