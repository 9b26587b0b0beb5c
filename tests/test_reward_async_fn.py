"""The async reward terms: collect what the conversation-end hook submitted, log the judge figures.

End to end: JudgeRuntime (real evaluator, judges through the local relay) -> the task-reward and
judge terms on another event loop, awaited together as TRL does; and one real TRL GRPOTrainer step
whose judge always fails.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os

import pytest
from helpers import REFERENCE_DATA

from agentcl.check_data import do_nothing_conversation, gold_conversation
from agentcl.data_model import Message, RewardInfo, RewardType, TerminationReason
from agentcl.relay import FaultConfig, RelayServer
from agentcl.registry import load_domain
from agentcl.rewards.evaluator import evaluate_run
from agentcl.rewards.judge.config import JudgeConfig
from agentcl.rewards.judge.runtime import JudgeRuntime
from agentcl.rewards.pending import PendingConversationReward
from agentcl.rewards.terms import make_judge_fn, make_task_reward_fn, reward_funcs, term_weights
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
    """Await a reward term on a fresh event loop, as TRL does on its own daemon loop."""
    (rewards,), log = call_terms([fn], n, **columns)
    return rewards, log


def call_terms(fns, n, **columns):
    """Await several async terms together (TRL's asyncio.gather); their values and the metric log."""
    log = MetricLog()

    async def together():
        return await asyncio.gather(*(fn(prompts=[None] * n, completions=[None] * n, log_metric=log.log_metric,
                                         log_extra=log.log_extra, **columns) for fn in fns))

    return asyncio.run(together()), log


def weighted(config, values):
    """TRL's total: Σ weight × value, None counting 0."""
    weights = list(term_weights(config).values())
    return [sum(w * v for w, v in zip(weights, row) if v is not None) for row in zip(*values)]


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
        (fn,) = reward_funcs(runtime.config, max_tokens=1000)  # the default: the task reward alone
        rewards, log = call_reward(fn, len(pending), reward_pending=pending)
    assert rewards == [1.0] * 3 + [0.0] * 3 + [0.0]  # a cut conversation scores 0
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
        fn, judge = reward_funcs(config, max_tokens=1000)
        assert (fn.__name__, judge.__name__) == ("task_reward", "judge")

        def step():
            pending = [runtime.start(task, retail_ref, messages, TerminationReason.USER_STOP,
                                     completion_tokens=100, conversation_id=f"c{i}")
                       for i, messages in enumerate([gold, told])]
            values, log = call_terms([fn, judge], 2, reward_pending=pending)
            return (weighted(config, values), log), pending

        (rewards, log), pending = step()
        info = pending[1].reward_info()
        assert info.reward_breakdown[RewardType.NL_ASSERTION] == 1.0 and info.nl_assertion_checks[0].detail
        assert pending[0].reward_info().reward_breakdown[RewardType.NL_ASSERTION] == 0.0
        quality = [p.quality_score() for p in pending]
        assert rewards == pytest.approx([0.0 + 0.5 * quality[0], 1.0 + 0.5 * quality[1]])
        assert log.metrics["judge/requests"] == 4 and log.metrics["judge/cache_hits"] == 0

        (again, log), _ = step()  # the same conversations: every judge answer comes from the cache
        assert again == rewards
        assert log.metrics["judge/requests"] == 4 and log.metrics["judge/cache_hits"] == 4
        assert [s.step for s in fn.stats.steps] == [None, None] and len(fn.stats.as_dicts()) == 2


def test_futures_answered_while_the_terms_wait():
    config = JudgeConfig(judge_coefficient=1.0, length_penalty=True)
    fns = reward_funcs(config, max_tokens=1000)
    judge, nl_verdicts = concurrent.futures.Future(), concurrent.futures.Future()
    pending = [PendingConversationReward(RewardInfo(reward=1.0), quality=judge, completion_tokens=1000),
               PendingConversationReward(RewardInfo(reward=0.0, reward_basis=[RewardType.NL_ASSERTION]),
                                         nl_future=nl_verdicts, completion_tokens=500)]
    loop_started = concurrent.futures.Future()

    async def waiting():  # gathered last: runs once both terms are waiting
        loop_started.set_result(True)

    async def run():
        *values, _ = await asyncio.gather(*(f(prompts=[None] * 2, completions=[None] * 2, reward_pending=pending)
                                            for f in fns[:2]), waiting())
        return values

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        result = pool.submit(asyncio.run, run())
        loop_started.result(10)
        judge.set_result(0.5)  # answered while the reward terms wait
        nl_verdicts.set_result([])  # no assertion failed: NL_ASSERTION 1
        task_values, judge_values = result.result(10)
    penalties = fns[2](prompts=[None] * 2, completions=[None] * 2, reward_pending=pending)  # sync
    assert weighted(config, [task_values, judge_values, penalties]) == pytest.approx([1.0 + 0.5 - 0.5, 1.0])
    assert fns[0].stats.last.already_done == 0


def test_a_future_that_never_resolves_falls_back_and_training_goes_on():
    stuck = concurrent.futures.Future()
    pending = [PendingConversationReward(RewardInfo(reward=1.0), quality=stuck),
               PendingConversationReward(RewardInfo(reward=0.0))]
    task_term = make_task_reward_fn(collect_timeout_s=0.5)
    (task_values, judge_values), log = call_terms(
        [task_term, make_judge_fn(fallback_score=0.25, collect_timeout_s=0.5)], 2, reward_pending=pending)
    assert task_values == [1.0, 0.0] and judge_values == [0.25, None]
    assert log.metrics["judge/failures"] == 1 and stuck.cancelled()


def test_missing_or_misshapen_columns_fail_clearly():
    fn = make_task_reward_fn()
    with pytest.raises(ValueError, match="reward_pending"):
        call_reward(fn, 2, something_else=[1, 2])
    with pytest.raises(ValueError, match="one value per completion"):
        call_reward(fn, 2, reward_pending=[PendingConversationReward(RewardInfo(reward=1.0))])
    with pytest.raises(TypeError, match="expected PendingConversationReward"):
        call_reward(fn, 2, reward_pending=[1.0, 0.0])


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

    funcs = reward_funcs(config, max_tokens=1200)
    args = GRPOConfig(output_dir=str(tmp_path / "out"), num_generations=4, per_device_train_batch_size=4,
                      gradient_accumulation_steps=1, max_steps=1, max_completion_length=1200, learning_rate=1e-3,
                      report_to="none", use_cpu=True, logging_steps=1, save_strategy="no",
                      remove_unused_columns=False, dataloader_num_workers=0, seed=0, beta=0.0,
                      reward_weights=list(term_weights(config).values()))
    trainer = GRPOTrainer(model=model, reward_funcs=funcs, args=args,
                          train_dataset=task_dataset([("mock", mock_ref.tasks[0])]), processing_class=tokenizer,
                          rollout_func=rollout,
                          peft_config=LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    try:
        trainer.train()
    finally:
        rollout.close()
        runtime.close()
        failing.stop()
    assert trainer.state.global_step == 1
    step = funcs[0].stats.last
    assert step.samples == 4 and step.judge_requests == 4 and step.failures == 4
    logged = trainer.state.log_history[0]
    assert logged["judge/failures"] == 4 and logged["judge/requests"] == 4
    # TRL logged each term: the task reward, and the fallback quality score for every conversation
    task_rewards = [c.reward.task_reward() for c in rollout.last_conversations]
    assert logged["rewards/task_reward/mean"] == pytest.approx(sum(task_rewards) / 4)
    assert logged["rewards/judge/mean"] == pytest.approx(0.25)
    assert logged["reward"] == pytest.approx(sum(task_rewards) / 4 + 0.25)  # weights 1 and 1
    # the scripted conversations are identical: one request (and its one retry) served all four
    assert logged["judge/cache_hits"] == 3
    assert failing.stats()["by_status"] == {"500": 2}
