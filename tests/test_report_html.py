"""build_report on a mock-domain run directory: files, metrics.json, plots, and report.html as
headless Chromium renders it."""

from __future__ import annotations

import base64
import io
import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from agentcl.report.metrics import eval_phase, label_run
from agentcl.errors import DataError
from agentcl.report import ResultsStore, TrainingLog, build_report, write_curriculum
from agentcl.report.cli import main as report_main
from test_report_fixtures import CURRICULUM_OUTCOMES, STAGES, TRAINING_STEPS, curriculum_runs, make_run

PLOT_IDS = ("plot-reward-curve", "plot-accuracy-matrix", "plot-pass-k")
HOSTILE = '<script>alert("pwned")</script> & <b>bold</b>'
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A finished two-stage run: curriculum, conversations (one with hostile text), steps."""
    directory = tmp_path_factory.mktemp("run")
    write_curriculum(directory, STAGES)
    runs = curriculum_runs(CURRICULUM_OUTCOMES)
    hostile = label_run(make_run("mock_create_0", succeed=True, trial=5, user_text=HOSTILE), phase=eval_phase(2), stage="mock_create")
    store = ResultsStore(directory)
    store.add(runs[:20])
    store.add(runs[20:] + [hostile])
    TrainingLog(directory).add(TRAINING_STEPS)
    build_report(directory)
    return directory


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images: dict[str, str] = {}
        self.scripts = 0
        self.details = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img" and attrs.get("id"):
            self.images[attrs["id"]] = attrs.get("src") or ""
        self.scripts += tag == "script"
        self.details += tag == "details"


def _check_plot_images(markup: str) -> _Images:
    parser = _Images()
    parser.feed(markup)
    for plot_id in PLOT_IDS:
        src = parser.images.get(plot_id, "")
        assert src.startswith("data:image/png;base64,"), f"{plot_id} is not an embedded PNG"
        png = base64.b64decode(src.split(",", 1)[1])
        assert png.startswith(PNG_MAGIC) and Image.open(io.BytesIO(png)).size[0] > 300
    return parser


def test_run_dir_outputs(run_dir):
    for name in ("results.json", "metrics.json", "report.html", "reward_curve.png", "accuracy_matrix.png", "pass_k.png"):
        assert (run_dir / name).stat().st_size > 0, name
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    assert results["num_simulations"] == 37 and results["stages"] == STAGES
    tool_message = next(m for m in results["simulations"][0]["messages"] if m["role"] == "tool")
    assert tool_message["id"].startswith("call_")
    assert results["simulations"][0]["reward_info"]["reward_breakdown"] == {"DB": 1.0, "COMMUNICATE": 1.0}
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["stages"] == STAGES and metrics["totals"]["runs"] == 37
    # the extra successful run (a 3rd trial of a task already 2/2) changes the run-level success
    # rate of the final create cell (4/7) but not pass^1, a mean over tasks ((1 + 1/2 + 0) / 3)
    final_create = next(ev for ev in metrics["evaluations"] if (ev["phase"], ev["stage"]) == ("after_stage_2", "mock_create"))
    assert final_create["success_rate"] == pytest.approx(4 / 7)
    assert metrics["accuracy_matrix"]["values"][2][0] == pytest.approx(0.5)


def test_report_html_escapes_run_text_and_embeds_plots(run_dir):
    markup = (run_dir / "report.html").read_text(encoding="utf-8")
    assert HOSTILE not in markup and "<script>" not in markup
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in markup
    parser = _check_plot_images(markup)
    assert parser.scripts == 0
    assert parser.details >= 37  # one per conversation at least
    for text in ("Backward transfer", "mock_create_10", "create_task", "Communicated info", "zero_shot/mock_status/mock/mock_reopen_2/trial1"):
        assert text in markup


@pytest.mark.skipif(_chromium() is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(run_dir, tmp_path):
    browser = _chromium()
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}",
    ]
    url = (run_dir / "report.html").as_uri()
    shot = tmp_path / "report.png"
    subprocess.run([browser, *flags, f"--screenshot={shot}", "--window-size=1280,2000", url],
                   check=True, capture_output=True, timeout=180)
    assert shot.stat().st_size > 20_000
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2000)
    small = image.resize((160, 250))
    pixels = list(small.getdata())
    not_white = sum(1 for p in pixels if min(p) < 235) / len(pixels)
    assert not_white > 0.05 and len(set(pixels)) > 200  # text, cards and plots, not a blank page

    dom = subprocess.run([browser, *flags, "--dump-dom", url], check=True, capture_output=True, text=True, timeout=180).stdout
    parser = _check_plot_images(dom)
    assert parser.scripts == 0 and parser.details >= 37
    assert "Average final performance" in dom


def test_rebuild_from_results_json_alone_and_without_training(tmp_path, run_dir):
    # a copy that only has results.json: no journal, no curriculum.json, no training log
    shutil.copy(run_dir / "results.json", tmp_path / "results.json")
    path = build_report(tmp_path)
    metrics = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["stages"] == STAGES  # inferred from the evaluation phases
    assert metrics["totals"]["training_steps"] == 0
    assert not (tmp_path / "reward_curve.png").exists()
    markup = path.read_text(encoding="utf-8")
    assert 'id="plot-accuracy-matrix"' in markup and "No training steps logged." in markup


def test_empty_run_dir_still_gives_a_report(tmp_path):
    path = build_report(tmp_path)
    assert "No conversations recorded." in path.read_text(encoding="utf-8")
    assert json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))["accuracy_matrix"] is None


def test_cli_main_and_module_entry(tmp_path, run_dir, capsys):
    assert report_main(["--run-dir", str(tmp_path / "missing")]) == 1
    assert "run directory not found" in capsys.readouterr().err
    with pytest.raises(DataError):
        build_report(tmp_path / "missing")
    target = tmp_path / "copy"
    shutil.copytree(run_dir, target)
    (target / "report.html").unlink()
    done = subprocess.run([sys.executable, "-m", "agentcl", "report", "--run-dir", str(target), "--max-transcripts", "1"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    markup = (target / "report.html").read_text(encoding="utf-8")
    assert "5 more conversations are in results.json." in markup
