"""`python -m agentcl eval`: a model (and optionally an adapter) on a domain and split, no training.

The customer is the openai user simulator over real HTTP against the local relay (--local-relay).
"""

from __future__ import annotations

import json

import pytest

from agentcl.curriculum.evaluate_cli import main

SMALL = ["--model", "tiny", "--max-new-tokens", "12", "--max-conversation-steps", "6",
         "--max-conversation-tokens", "1536", "--seed", "5"]


@pytest.fixture(scope="module")
def random_adapter(tmp_path_factory):
    """A LoRA adapter with non-zero weights on the tiny agent (what training would leave behind)."""
    from peft import LoraConfig, get_peft_model

    from agentcl.config import ModelArgs
    from agentcl.training.model_loading import load_base_model

    model = load_base_model(ModelArgs(model_name_or_path="tiny"))
    peft = get_peft_model(model, LoraConfig(r=4, lora_alpha=16, target_modules=["q_proj", "v_proj"],
                                            init_lora_weights=False))
    path = tmp_path_factory.mktemp("adapter") / "mock"
    peft.save_pretrained(path)
    return path


def read(run_dir, name):
    return json.loads((run_dir / name).read_text())


@pytest.mark.slow
def test_eval_writes_every_output_over_the_local_relay(tmp_path, capsys):
    out = tmp_path / "eval"
    code = main([*SMALL, "--domain", "mock", "--split", "test", "--num-tasks", "2", "--trials", "2",
                 "--local-relay", "--output-dir", str(out)])
    assert code == 0, capsys.readouterr().err
    for name in ("config.yaml", "results.json", "metrics.json", "report.html", "accuracy_matrix.png", "pass_k.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    results = read(out, "results.json")
    assert results["num_simulations"] == 4 and results["stages"] == ["mock"]
    assert results["info"]["kind"] == "evaluation"
    runs = results["simulations"]
    assert {r["phase"] for r in runs} == {"zero_shot"} and {r["trial"] for r in runs} == {0, 1}
    assert all(r["reward_info"] is not None for r in runs)
    metrics = read(out, "metrics.json")
    assert metrics["evaluations"][0]["runs"] == 4 and "1" in metrics["evaluations"][0]["pass_k"]
    assert metrics["usage"]["total"]["total_tokens"] > 0  # the relay reports token usage per user turn
    printed = capsys.readouterr().out
    assert "mock: 4 conversations" in printed and "report:" in printed

    # the same directory again: refused without --resume, a no-op with it
    assert main([*SMALL, "--domain", "mock", "--num-tasks", "2", "--trials", "2", "--local-relay",
                 "--output-dir", str(out)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main([*SMALL, "--domain", "mock", "--num-tasks", "2", "--trials", "2", "--local-relay",
                 "--output-dir", str(out), "--resume"]) == 0
    assert read(out, "results.json")["num_simulations"] == 4


def test_eval_of_an_adapter_on_chosen_tasks(tmp_path, random_adapter, capsys):
    out = tmp_path / "eval"
    code = main([*SMALL, "--adapter", str(random_adapter), "--domain", "mock", "--task-ids", "mock_reopen_2",
                 "--trials", "1", "--user-type", "scripted", "--output-dir", str(out)])
    assert code == 0, capsys.readouterr().err
    runs = read(out, "results.json")["simulations"]
    assert [r["task_id"] for r in runs] == ["mock_reopen_2"]
    assert runs[0]["extra"]["policy"]["adapter"] == str(random_adapter)


@pytest.mark.parametrize("flags, message", [
    (["--domain", "nope"], "unknown domain 'nope'"),
    (["--domain", "mock", "--adapter", "/no/such/adapter"], "no LoRA adapter"),
    (["--domain", "mock", "--task-ids", "mock_does_not_exist"], "mock_does_not_exist"),
    (["--domain", "mock", "--split", "validation"], "unknown split 'validation'"),
])
def test_bad_arguments_stop_with_a_clear_error(tmp_path, capsys, flags, message):
    assert main([*SMALL, "--user-type", "scripted", "--output-dir", str(tmp_path / "x"), *flags]) == 2
    assert message in capsys.readouterr().err


def test_help_lists_the_eval_and_run_flags(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "--adapter" in text and "--trials" in text and "--openai-api-base" in text
