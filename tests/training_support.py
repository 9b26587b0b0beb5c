"""Shared pieces of the training tests: a scripted "good" agent and the flags of a tiny run.

The tiny model is random, so on its own every conversation of a group fails the same way and GRPO
has nothing to learn from. To give each group one success, the first conversation of every group
(trial 0) has its agent turns constrained to the task's gold actions and a closing message
(`agentcl.rollout.scripted_agent.ScriptedAgent` passed as `rollout_options`: a logits processor on
the real generate call, so the model still produces the tokens, with its own log-probs); the other
conversations sample freely.
Everything else is the real path: relay over HTTP for the user, tool calls on the environment,
the evaluator, TRL.
"""

from __future__ import annotations

import json

MOCK_TASKS_WITH_SIGNAL = 2  # the first two mock train tasks need a write the random agent never makes


def good_agent_script(conversation) -> str | None:
    """Trial 0 does the task: one gold tool call per turn, then the facts to communicate and a stop."""
    if conversation.trial != 0:
        return None
    criteria = conversation.task.evaluation_criteria
    gold = [a for a in criteria.actions or [] if a.requestor == "assistant"]
    turn = conversation.num_agent_turns
    if turn < len(gold):
        call = {"name": gold[turn].name, "arguments": gold[turn].arguments}
        return "<tool_call>\n" + json.dumps(call) + "\n</tool_call>"
    facts = " ".join(criteria.communicate_info or [])
    return f"All done{' ' + facts if facts else ''}. ###STOP###"


def good_agent_options() -> dict:
    """`rollout_options` for run.main (the stage loop's training rollouts): the tiny agent follows
    `good_agent_script`."""
    from transformers import AutoTokenizer

    from agentcl.models import ensure_tiny_agent
    from agentcl.rollout.scripted_agent import ScriptedAgent

    tokenizer = AutoTokenizer.from_pretrained(ensure_tiny_agent())
    return {"extra_logits_processors": ScriptedAgent(tokenizer, good_agent_script)}


def tiny_run_flags(output_dir, relay_url: str, *, max_steps: int, save_steps: int = 1, tasks_per_step: int = 2,
                   group_size: int = 2, eval_tasks: int = 1, eval_trials: int = 1) -> list[str]:
    """run.py flags of a seconds-long CPU run on the mock domain through the relay."""
    return [
        "--model", "tiny", "--domains", "mock", "--tasks-per-domain", str(MOCK_TASKS_WITH_SIGNAL),
        "--group-size", str(group_size), "--tasks-per-step", str(tasks_per_step),
        "--max-steps", str(max_steps), "--save-steps", str(save_steps),
        "--max-conversation-steps", "6", "--max-new-tokens", "48", "--max-conversation-tokens", "2048",
        "--lora-r", "4", "--lora-alpha", "8", "--lora-dropout", "0", "--no-gradient-checkpointing",
        "--learning-rate", "5e-3", "--seed", "7",
        "--user-type", "openai_user_simulator", "--openai-api-base", relay_url, "--openai-api-key", "sk-test-relay-0001",
        "--judge-model", "judge",  # NL assertions (if any) and the judge path go to the relay's offline judge
        # the loop's evaluations (before and after the stage): by default one conversation each
        "--eval-tasks-per-domain", str(eval_tasks), "--eval-trials", str(eval_trials),
        "--output-dir", str(output_dir),
    ]
