"""The async reward function: collects what the conversation-end hook submitted, composes, logs.

End to end: JudgeRuntime (real evaluator, judges through the local relay) -> the async reward
function on another event loop; and one real TRL GRPOTrainer step whose judge always fails.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os

import pytest
from helpers import REFERENCE_DATA

from agentcl.check_data import do_nothing_conversation, gold_conversation
from agentcl.data_model import Message, RewardType, TerminationReason
from agentcl.relay import FaultConfig, RelayServer
from agentcl.registry import load_domain
from agentcl.rewards.evaluator import evaluate_run
from agentcl.rewards.composition import CompositionConfig, LengthPenalty, RewardComposer
from agentcl.rewards.judge.config import JudgeConfig
from agentcl.rewards.judge.reward import RewardStats, make_async_reward_fn
from agentcl.rewards.judge.runtime import JudgeRuntime
from agentcl.secrets import Secret


class MetricLog:
    def __init__(self):
        self.metrics, self.extra = {}, {}

    def log_metric(self, name, value):
        self.metrics[name] = value

    def log_extra(self, column, values):
        self.extra[column] = values


@pytest.fixture(scope="module")
def mock_ref():
    return load_domain("mock", REFERENCE_DATA)


@pytest.fixture(scope="module")
def retail_ref():
    return load_domain("retail", REFERENCE_DATA)


@pytest.fixture(scope="module")
def relay():
    server = RelayServer()
    server.start()
    yield server
    server.stop()


def call_reward(fn, n, **columns):
    """Await the reward function on a fresh event loop, as TRL does on its own daemon loop."""
    log = MetricLog()
    rewards = asyncio.run(fn(prompts=[None] * n, completions=[None] * n, log_metric=log.log_metric,
                             log_extra=log.log_extra, **columns))
    return rewards, log


def test_offline_runtime_rewards_gold_and_idle_conversations(mock_ref):
    idle = do_nothing_conversation()
    tasks = [t for t in mock_ref.tasks
             if evaluate_run(t, mock_ref, idle, TerminationReason.USER_STOP).reward == 0.0][:3]
    assert len(tasks) == 3
    with JudgeRuntime(JudgeConfig()) as runtime:  # defaults: heuristic NL judge, no quality term
        assert runtime.dispatcher is None
        pending = [runtime.start(t, mock_ref, gold_conversation(t), TerminationReason.USER_STOP) for t in tasks]
        pending += [runtime.start(t, mock_ref, do_nothing_conversation(), TerminationReason.USER_STOP)
                    for t in tasks]
        pending.append(runtime.start(tasks[0], mock_ref, gold_conversation(tasks[0]), TerminationReason.MAX_STEPS))
        fn = make_async_reward_fn(runtime.composer)
        rewards, log = call_reward(fn, len(pending), reward_pending=pending)
    assert rewards == [1.0] * 3 + [0.0] * 3 + [0.0]  # a cut conversation scores 0
    assert log.extra["task_reward"] == rewards and "judge_score" not in log.extra
    assert log.metrics["judge/requests"] == 0 and log.metrics["judge/failures"] == 0
    assert fn.stats.last.samples == 7 and fn.stats.last.waited_s >= 0


def test_llm_judges_through_the_relay_are_collected_and_counted(retail_ref, relay, tmp_path):
    relay.app.faults.config.latency_ms = 0
    task = next(t for t in retail_ref.tasks if t.evaluation_criteria.nl_assertions
                and RewardType.NL_ASSERTION in t.evaluation_criteria.reward_basis)
    said = " ".join(task.evaluation_criteria.nl_assertions)
    gold = gold_conversation(task)
    told = gold[:-1] + [Message(role="assistant", content=said), gold[-1]]
    config = JudgeConfig(model="judge", api_base=relay.base_url, api_key=Secret("unused-key"),
                         judge_coefficient=0.5, cache_dir=str(tmp_path / "cache"))
    with JudgeRuntime(config) as runtime:
        assert runtime.assertion_judge.name == "llm" and runtime.quality_judge.name == "llm"
        fn = make_async_reward_fn(runtime.composer)

        def step():
            pending = [runtime.start(task, retail_ref, messages, TerminationReason.USER_STOP,
                                     completion_tokens=100, conversation_id=f"c{i}")
                       for i, messages in enumerate([gold, told])]
            return call_reward(fn, 2, reward_pending=pending), pending

        (rewards, log), pending = step()
        info = pending[1].reward_info()
        assert info.reward_breakdown[RewardType.NL_ASSERTION] == 1.0 and info.nl_assertion_checks[0].detail
        assert pending[0].reward_info().reward_breakdown[RewardType.NL_ASSERTION] == 0.0
        quality = [p.quality_value() for p in pending]
        assert rewards == pytest.approx([0.0 + 0.5 * quality[0], 1.0 + 0.5 * quality[1]])
        assert log.metrics["judge/requests"] == 4 and log.metrics["judge/cache_hits"] == 0
        assert log.extra["judge_score"] == quality

        (again, log), _ = step()  # the same conversations: every judge answer comes from the cache
        assert again == rewards
        assert log.metrics["judge/requests"] == 4 and log.metrics["judge/cache_hits"] == 4
        assert [s.step for s in fn.stats.steps] == [None, None] and len(fn.stats.as_dicts()) == 2


def test_plain_columns_with_futures_and_the_length_penalty():
    composer = RewardComposer(CompositionConfig(judge_coefficient=1.0, length_penalty=LengthPenalty()))
    fn = make_async_reward_fn(composer, max_tokens=1000, stats=RewardStats())
    judge = concurrent.futures.Future()
    task_future = concurrent.futures.Future()
    loop_started = concurrent.futures.Future()

    async def run():
        loop_started.set_result(True)
        return await fn(prompts=[None] * 2, completions=[None] * 2, task_reward=[1.0, task_future],
                        judge_future=[judge, None], completion_tokens=[1000, 500])

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        result = pool.submit(asyncio.run, run())
        loop_started.result(10)
        judge.set_result(0.5)  # answered while the reward function waits
        task_future.set_result(0.0)
        rewards = result.result(10)
    assert rewards == pytest.approx([1.0 + 0.5 - 0.5, 0.0])
    assert fn.stats.last.already_done == 0


def test_a_future_that_never_resolves_falls_back_and_training_goes_on():
    fn = make_async_reward_fn(RewardComposer(CompositionConfig(judge_coefficient=1.0)), fallback_score=0.25,
                              collect_timeout_s=0.5)
    stuck = concurrent.futures.Future()
    rewards, log = call_reward(fn, 2, task_reward=[1.0, 0.0], judge_future=[stuck, None])
    assert rewards == [1.25, 0.0]
    assert log.metrics["judge/failures"] == 1 and stuck.cancelled()


def test_missing_or_misshapen_columns_fail_clearly():
    fn = make_async_reward_fn()
    with pytest.raises(ValueError, match="reward_pending' or 'task_reward"):
        call_reward(fn, 2, something_else=[1, 2])
    with pytest.raises(ValueError, match="one value per completion"):
        call_reward(fn, 2, task_reward=[1.0])


@pytest.mark.slow
def test_a_grpo_step_trains_while_the_judge_always_fails(tmp_path, tmp_path_factory, mock_ref):
    """A real TRL GRPOTrainer step: the rollout engine submits quality-judge requests at each
    conversation's end to a relay that answers 500 every time; the async reward function gets
    the fallback score for each, counts the failures, and the optimizer step happens."""
    os.environ["TRL_EXPERIMENTAL_SILENCE"] = "1"
    from peft import LoraConfig
    from rollout_fixtures import CountingUser, tiny_agent
    from trl import GRPOConfig, GRPOTrainer

    from agentcl.rollout import GenerationParams, RolloutLimits, ScriptedAgent, make_rollout_func, task_dataset

    model, tokenizer = tiny_agent(tmp_path_factory)
    failing = RelayServer(FaultConfig(rate_500=1.0))
    failing.start()
    config = JudgeConfig(model="judge", api_base=failing.base_url, quality_judge="llm", judge_coefficient=1.0,
                         fallback_score=0.25, num_retries=1)
    runtime = JudgeRuntime(config)
    runtime.client.backoff_base_s = 0.001  # the shared LLMClient retries; keep the test quick
    rollout = make_rollout_func(
        user_simulator=CountingUser(stop_after=2),
        extra_logits_processors=ScriptedAgent(tokenizer, lambda conv: "Done, all set."),
        domains={"mock": mock_ref}, generation=GenerationParams(max_new_tokens=16, temperature=1.0),
        limits=RolloutLimits(max_steps=8, max_total_tokens=1200), on_conversation_end=runtime.on_conversation_end)

    def rollout_func(prompts, trainer):
        output = rollout(prompts, trainer)
        output["reward_pending"] = output.pop("end_result")
        return output

    reward = make_async_reward_fn(runtime.composer, fallback_score=config.fallback_score)
    args = GRPOConfig(output_dir=str(tmp_path / "out"), num_generations=4, per_device_train_batch_size=4,
                      gradient_accumulation_steps=1, max_steps=1, max_completion_length=1200, learning_rate=1e-3,
                      report_to="none", use_cpu=True, logging_steps=1, save_strategy="no",
                      remove_unused_columns=False, dataloader_num_workers=0, seed=0, beta=0.0)
    trainer = GRPOTrainer(model=model, reward_funcs=[reward], args=args,
                          train_dataset=task_dataset([("mock", mock_ref.tasks[0])]), processing_class=tokenizer,
                          rollout_func=rollout_func,
                          peft_config=LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    try:
        trainer.train()
    finally:
        rollout.close()
        runtime.close()
        failing.stop()
    assert trainer.state.global_step == 1
    step = reward.stats.last
    assert step.samples == 4 and step.judge_requests == 4 and step.failures == 4
    logged = trainer.state.log_history[0]
    assert logged["judge/failures"] == 4 and logged["judge/requests"] == 4
    # every reward is the task reward plus the fallback quality score
    task_rewards = [c.end_result.task_value() for c in rollout.last_conversations]
    assert logged["rewards/agentcl_reward/mean"] == pytest.approx(sum(task_rewards) / 4 + 0.25)
    # the scripted conversations are identical: one request (and its one retry) served all four
    assert logged["judge/cache_hits"] == 3
    assert failing.stats()["by_status"] == {"500": 2}
