"""Hand-made, realistic SimulationRuns for the metrics and report tests (no tests here).

Conversations are played on the project's own mock domain: the agent's tool calls run on a real
Environment, and each run is scored by the real task evaluator. A two-stage curriculum splits the
mock tasks into "create" tasks and "status" tasks (complete / reopen).
"""

from __future__ import annotations

import math
from functools import lru_cache

from agentcl.report.metrics import eval_phase, label_run
from agentcl.data_model import Message, SimulationRun, Task, TerminationReason, ToolCall
from agentcl.registry import load_domain
from agentcl.rewards.evaluator import evaluate_run, fresh_environment

STAGES = ["mock_create", "mock_status"]
STAGE_TASKS = {
    "mock_create": ["mock_create_0", "mock_create_5", "mock_create_10"],
    "mock_status": ["mock_complete_1", "mock_reopen_2", "mock_complete_6"],
}


@lru_cache(maxsize=1)
def mock_domain():
    return load_domain("mock")


def _user_opening(task: Task) -> str:
    instructions = task.user_scenario.instructions
    return getattr(instructions, "reason_for_call", None) or str(instructions)


def make_run(task_id: str, *, succeed: bool, trial: int = 0, user_text: str | None = None,
             termination: TerminationReason = TerminationReason.USER_STOP,
             usage: dict | None = None) -> SimulationRun:
    """One conversation on mock task `task_id`: the agent replays the gold actions (or, when
    `succeed` is False, gets the arguments wrong), reports back, and the user stops."""
    domain = mock_domain()
    task = domain.task(task_id)
    env, _ = fresh_environment(domain, task)
    messages = [
        Message(role="system", content=domain.policy[:400]),
        Message(role="assistant", content="Hi! How can I help you with your tasks today?"),
        Message(role="user", content=user_text or _user_opening(task)),
    ]
    for index, action in enumerate(task.gold_actions):
        arguments = dict(action.arguments)
        if not succeed:  # a plausible mistake: wrong value for every argument
            arguments = {key: f"{value}_x" for key, value in arguments.items()}
        call = ToolCall(id=f"call_{trial}_{index}", name=action.name, arguments=arguments)
        messages.append(Message(role="assistant", tool_calls=[call]))
        messages.append(env.get_response(call))
    info = " ".join(task.evaluation_criteria.communicate_info or []) if succeed else "something went wrong"
    messages.append(Message(role="assistant", content=f"Done: {info}. Anything else?"))
    messages.append(Message(role="user", content="No, that's all. ###STOP###"))
    reward_info = evaluate_run(task, domain, messages, termination, final_environment=env)
    return SimulationRun(
        id=f"raw-{task_id}-{trial}", task_id=task_id, domain="mock", trial=trial, messages=messages,
        termination_reason=termination, reward_info=reward_info, extra={"usage": usage or {}},
    )


def curriculum_runs(outcomes: dict[tuple[int, str], list[list[bool]]]) -> list[SimulationRun]:
    """Labelled runs for a curriculum; outcomes[(row, stage)][task_index] = successes per trial."""
    runs = []
    for (row, stage), per_task in outcomes.items():
        for task_id, trials in zip(STAGE_TASKS[stage], per_task):
            for trial, succeed in enumerate(trials):
                usage = {"user": {"prompt_tokens": 100, "completion_tokens": 10, "cost_usd": 0.001}}
                run = make_run(task_id, succeed=succeed, trial=trial, usage=usage)
                runs.append(label_run(run, phase=eval_phase(row), stage=stage))
    return runs


# Two stages, three tasks each, two trials per task. Expected pass^1 (accuracy matrix):
#   zero-shot:     create 1/6,  status 0
#   after stage 1: create 4/6,  status 1/6
#   after stage 2: create 3/6,  status 1
CURRICULUM_OUTCOMES = {
    (0, "mock_create"): [[True, False], [False, False], [False, False]],
    (0, "mock_status"): [[False, False], [False, False], [False, False]],
    (1, "mock_create"): [[True, True], [True, False], [True, False]],
    (1, "mock_status"): [[True, False], [False, False], [False, False]],
    (2, "mock_create"): [[True, True], [True, False], [False, False]],
    (2, "mock_status"): [[True, True], [True, True], [True, True]],
}
EXPECTED_MATRIX = [[1 / 6, 0.0], [4 / 6, 1 / 6], [3 / 6, 1.0]]

def _training_reward(step: int) -> float:
    """Rises over each 20-step stage, with deterministic wobble."""
    progress = ((step - 1) % 20) / 19
    return max(0.0, min(1.0, 0.15 + 0.65 * progress + 0.12 * math.sin(step * 2.3)))


TRAINING_STEPS = [
    {"step": step, "stage": "mock_create" if step <= 20 else "mock_status",
     "reward_mean": _training_reward(step), "reward_std": 0.2, "loss": 0.01,
     "api_prompt_tokens": 1000, "api_completion_tokens": 50, "api_cost_usd": 0.01}
    for step in range(1, 41)
]
