"""The lockstep rollout engine on the mock domain with the tiny model: isolation, limits, logprobs, hooks."""

from __future__ import annotations

import pytest
import torch
from rollout_fixtures import CountingUser, scripted_engine, tiny_agent, tool_call_text

from agentcl.data_model import InitialState, Message, RewardInfo, Task, TerminationReason, ToolCall
from agentcl.registry import load_domain
from agentcl.rewards.pending import PendingConversationReward
from agentcl.rollout import (
    GenerationParams,
    Phase,
    RolloutEngine,
    RolloutItem,
    RolloutLimits,
    expand_group,
)


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    return tiny_agent(tmp_path_factory)


@pytest.fixture(scope="module")
def mock():
    return load_domain("mock")


def test_each_conversation_has_its_own_database(agent, mock):
    """8 conversations create a task each; every one sees only its own task in its own DB."""
    model, tokenizer = agent
    shared_before = mock.db.hash()
    n_tasks = len(mock.db.data["tasks"])

    def script(conv):
        if conv.num_agent_turns == 0:
            return tool_call_text("create_task", {"user_id": "user_10", "title": f"Trial {conv.trial}"})
        return f"Created your task, trial {conv.trial}."

    engine = scripted_engine(model, tokenizer, CountingUser(stop_after=2), script)
    with engine:
        conversations = engine.run(expand_group([(mock.task("mock_create_0"), mock)], 8))
    assert engine.last_stats.conversations == 8
    new_id = f"task_{n_tasks + 1}"
    for conv in conversations:
        assert conv.termination_reason is TerminationReason.USER_STOP and conv.done
        tasks = conv.environment.agent_tools.data["tasks"]
        assert len(tasks) == n_tasks + 1  # one creation per DB: nothing leaked from the other seven
        assert tasks[new_id]["title"] == f"Trial {conv.trial}"
        results = [m for m in conv.messages if m.role == "tool"]
        assert len(results) == 1 and f'"task_id": "{new_id}"' in results[0].content and not results[0].error
    assert mock.db.hash() == shared_before  # the domain's own DB is never touched
    assert sorted(c.trial for c in conversations) == list(range(8))
    # lockstep: one generate per agent round with all 8 in it (3 agent turns each -> 3 calls)
    assert all(c.num_agent_turns == 3 for c in conversations)
    assert engine.last_stats.generate_calls == 3


def test_sampling_logprobs_match_a_forward_pass(agent, mock):
    model, tokenizer = agent
    temperature = 0.7

    def script(conv):  # a scripted turn, then free sampling
        return tool_call_text("get_users", {}) if conv.num_agent_turns == 0 else None

    engine = scripted_engine(model, tokenizer, CountingUser(stop_after=2), script, max_new_tokens=20)
    engine.generation = GenerationParams(max_new_tokens=20, temperature=temperature, top_p=0.9)
    torch.manual_seed(1)
    with engine:
        conversations = engine.run([RolloutItem(t, mock) for t in mock.tasks[:4]])
    for conv in conversations:
        ids = torch.tensor([conv.prompt_ids + conv.completion_ids])
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0].float()
        logps = torch.log_softmax(logits / temperature, dim=-1)
        start = len(conv.prompt_ids)
        targets = ids[0, start:]
        expected = logps[start - 1 : -1].gather(1, targets[:, None]).squeeze(1)
        mask = torch.tensor(conv.env_mask, dtype=torch.bool)
        got = torch.tensor(conv.logprobs)
        assert mask.sum() > 20
        assert torch.allclose(got[mask], expected[mask], atol=2e-4), (got[mask] - expected[mask]).abs().max()
        assert torch.all(got[~mask] == 0)


def test_limits_end_conversations_with_the_matching_reason(agent, mock):
    model, tokenizer = agent
    by_task = {
        "mock_create_0": lambda c: tool_call_text("get_users", {}),  # tool calls forever -> max steps
        "mock_complete_1": lambda c: 'Trying.\n<tool_call>\n{"name": "get_users", "arguments": \n</tool_call>',
        "mock_reopen_2": lambda c: tool_call_text("no_such_tool", {"x": 1}),  # unknown tool: an error too
        "mock_count_3": lambda c: "All done. ###STOP###",
        "mock_delete_4": lambda c: "Let me think about that.",
    }
    engine = scripted_engine(model, tokenizer, CountingUser(stop_after=2), lambda c: by_task[c.task_id](c),
                             limits=RolloutLimits(max_steps=7, max_errors=3, max_total_tokens=4096))
    with engine:
        conversations = {c.task_id: c for c in engine.run([RolloutItem(mock.task(t), mock) for t in by_task])}
    reasons = {t: c.termination_reason for t, c in conversations.items()}
    assert reasons == {
        "mock_create_0": TerminationReason.MAX_STEPS,
        "mock_complete_1": TerminationReason.TOO_MANY_ERRORS,
        "mock_reopen_2": TerminationReason.TOO_MANY_ERRORS,
        "mock_count_3": TerminationReason.AGENT_STOP,
        "mock_delete_4": TerminationReason.USER_STOP,
    }
    assert conversations["mock_create_0"].num_steps == 7
    # a malformed call is answered with a tool error the agent sees (in its next turn's tokens)
    malformed = conversations["mock_complete_1"]
    errors = [m for m in malformed.messages if m.role == "tool"]
    assert len(errors) == 3 and all(m.error for m in errors)
    assert errors[0].content.startswith("Error: could not read the tool call: the tool call is not valid JSON")
    calls = [c for m in malformed.messages for c in (m.tool_calls or [])]
    assert calls[0].name == "invalid_tool_call" and "<tool_call>" in calls[0].arguments["raw"]
    seen = tokenizer.decode(malformed.completion_ids)
    assert "Error: could not read the tool call" in seen  # the first two errors reached the agent
    unknown = conversations["mock_reopen_2"]
    assert unknown.num_errors == 3 and "unknown tool 'no_such_tool'" in unknown.messages[2].content


def test_token_limit_cuts_the_conversation(agent, mock):
    model, tokenizer = agent
    engine = scripted_engine(model, tokenizer, CountingUser(stop_after=50), lambda c: "Still working on it. " * 3,
                             limits=RolloutLimits(max_total_tokens=1400), strict=False)
    with engine:
        (conv,) = engine.run([RolloutItem(mock.task("mock_create_0"), mock)])
    assert conv.termination_reason is TerminationReason.MAX_TOKENS
    assert len(conv.prompt_ids) + len(conv.completion_ids) <= 1400
    assert conv.num_agent_turns >= 2


def test_user_failure_ends_only_that_conversation_and_is_redacted(agent, mock):
    model, tokenizer = agent
    user = CountingUser(stop_after=2, fail_for={"mock_complete_1"})
    engine = scripted_engine(model, tokenizer, user, lambda c: "How can I help?")
    with engine:
        conversations = engine.run([RolloutItem(mock.task(t), mock) for t in ("mock_create_0", "mock_complete_1")])
    ok, failed = conversations
    assert ok.termination_reason is TerminationReason.USER_STOP
    assert failed.termination_reason is TerminationReason.USER_ERROR
    assert "ConnectionError" in failed.error and "sk-" "test-should-be-redacted" not in failed.error
    # it never got a user message: the prompt is the system turn alone, the completion one env token
    assert failed.completion_ids and failed.env_mask == [0] and failed.num_agent_turns == 0


def test_end_hook_runs_once_per_conversation_as_it_ends(agent, mock):
    model, tokenizer = agent
    seen = []

    def on_end(conv):
        assert conv.phase is Phase.DONE and conv.termination_reason is not None
        seen.append((conv.conversation_id, conv.num_user_turns))
        return PendingConversationReward(RewardInfo(reward=float(conv.num_agent_turns)))

    # conversations stop at different times: the hook order follows the order they end
    users = {"mock_create_0": 1, "mock_complete_1": 3, "mock_reopen_2": 2}

    class PerTaskUser(CountingUser):
        async def respond(self, conversation):
            self.stop_after = users[conversation.task.id]
            return await super().respond(conversation)

    engine = scripted_engine(model, tokenizer, PerTaskUser(), lambda c: "Noted.", on_conversation_end=on_end)
    with engine:
        conversations = engine.run([RolloutItem(mock.task(t), mock) for t in users])
    assert [n for _, n in seen] == [2, 3, 4]  # shortest conversation first
    assert sorted(cid for cid, _ in seen) == sorted(c.conversation_id for c in conversations)
    assert [c.reward.task_reward() for c in conversations] == [1.0, 3.0, 2.0]


def test_task_message_history_is_the_prompt_and_the_agent_goes_first(agent, mock):
    model, tokenizer = agent
    base = mock.task("mock_complete_1")
    history = [
        Message(role="user", content="Hi, I am user_1."),
        Message(role="assistant", tool_calls=[ToolCall(id="h1", name="get_users", arguments={})]),
        Message(role="tool", id="h1", content="[...]"),
        Message(role="assistant", content="Found you. What do you need?"),
        Message(role="user", content="Please mark task_1 as completed."),
    ]
    task = Task.model_validate({**base.model_dump(), "id": "with_history",
                                "initial_state": InitialState(message_history=history).model_dump()})
    engine = scripted_engine(model, tokenizer, CountingUser(stop_after=1),
                             lambda c: tool_call_text("update_task_status", {"task_id": "task_1", "status": "completed"})
                             if c.num_agent_turns == 0 else "Done: task_1 is completed.")
    with engine:
        (conv,) = engine.run([RolloutItem(task, mock)])
    prompt = tokenizer.decode(conv.prompt_ids, skip_special_tokens=False)
    assert prompt.endswith("Please mark task_1 as completed.<|im_end|>\n<|im_start|>assistant\n")
    assert "<tool_response>\n[...]\n</tool_response>" in prompt
    assert conv.messages[: len(history)] == [m.model_copy() for m in conv.messages[: len(history)]]
    assert [m.content for m in conv.messages[: len(history)]] == [m.content for m in history]
    assert conv.history_len == len(history)
    assert conv.environment.agent_tools.data["tasks"]["task_1"]["status"] == "completed"
    assert conv.termination_reason is TerminationReason.USER_STOP


def test_free_sampling_batch_of_eight_finishes_with_consistent_outputs(agent, mock):
    """The random tiny model (no script): every conversation ends, and its token lists line up."""
    model, tokenizer = agent
    engine = RolloutEngine(tokenizer, CountingUser(stop_after=2), model=model,
                           generation=GenerationParams(max_new_tokens=16),
                           limits=RolloutLimits(max_steps=40, max_errors=5, max_total_tokens=2048))
    torch.manual_seed(0)
    with engine:
        conversations = engine.run(expand_group([(t, mock) for t in mock.tasks[:2]], 4))
    assert len(conversations) == 8
    for conv in conversations:
        assert conv.done and conv.termination_reason is not None
        assert len(conv.completion_ids) == len(conv.logprobs) == len(conv.env_mask) > 0
        assert sum(conv.env_mask) > 0
    assert sum(engine.last_stats.terminations.values()) == 8


def test_engine_needs_a_model_or_backend(agent):
    _, tokenizer = agent
    with pytest.raises(ValueError, match="model or a generation backend"):
        RolloutEngine(tokenizer, CountingUser())
    with pytest.raises(ValueError, match="max_steps"):
        RolloutLimits(max_steps=0)
    with pytest.raises(ValueError, match="max_new_tokens"):
        GenerationParams(max_new_tokens=0)


def test_scripted_user_and_task_reward_end_to_end(agent, mock):
    """The project's scripted user answers a scripted agent; the end hook scores each conversation
    with the task evaluator on its own final environment: the right action earns 1, a wrong one 0."""
    from agentcl.rewards.evaluator import start_evaluation
    from agentcl.users.scripted import ScriptedUserSimulator

    model, tokenizer = agent

    def script(conv):
        title = "Hiring Loop 58" if conv.trial == 0 else "Wrong Title"
        plan = [
            "Sure. Could you tell me your user id, please?",
            tool_call_text("create_task", {"user_id": "user_10", "title": title}),
            f"I created task_21 titled {title} for you. Is there anything else?",
        ]
        return plan[min(conv.num_agent_turns, len(plan) - 1)]

    def score(conv):
        return start_evaluation(conv.task, conv.domain, conv.messages, conv.termination_reason,
                                final_environment=conv.environment)

    engine = scripted_engine(model, tokenizer, ScriptedUserSimulator(), script, on_conversation_end=score)
    with engine:
        right, wrong = engine.run(expand_group([(mock.task("mock_create_0"), mock)], 2))
    for conv in (right, wrong):
        assert conv.termination_reason is TerminationReason.USER_STOP
        user_texts = [m.content for m in conv.messages if m.role == "user" and m.content]
        assert "user_10" in user_texts[1]  # the scripted user answered the agent's question
    assert right.reward.task_reward() == 1.0
    assert wrong.reward.task_reward() == 0.0 and wrong.reward.reward_info().db_match is False
