"""Token bookkeeping: env_mask is 1 exactly on the tokens the model generated, 0 on everything else."""

from __future__ import annotations

import pytest
from rollout_fixtures import CountingUser, scripted_engine, tiny_agent, tool_call_text

from agentcl.data_model import Message
from agentcl.registry import load_domain
from agentcl.rollout import GenerationParams, HFGenerationBackend, RolloutEngine, RolloutItem, RolloutLimits
from agentcl.rollout.chat_format import to_chat_dicts


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    return tiny_agent(tmp_path_factory)


@pytest.fixture(scope="module")
def mock():
    return load_domain("mock")


class RecordingBackend(HFGenerationBackend):
    """The HF backend, keeping every output it returns per conversation (what the model produced)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outputs: dict[str, list[list[int]]] = {}

    def generate(self, requests, params):
        outputs = super().generate(requests, params)
        for request, output in zip(requests, outputs):
            self.outputs.setdefault(request.tag.conversation_id, []).append(list(output.token_ids))
        return outputs


def _rendered(tokenizer, conversation) -> str:
    """The chat template's rendering of the conversation as the agent saw it, up to its last message."""
    view = conversation.agent_view()
    last_agent = max(i for i, m in enumerate(view) if m.role == "assistant")
    messages = [Message(role="system", content=conversation.system_prompt)] + view[: last_agent + 1]
    return tokenizer.apply_chat_template(to_chat_dicts(messages), tools=conversation.tools, tokenize=False)


def _script(conversation):
    turn = conversation.num_agent_turns
    if turn == 0:
        return tool_call_text("get_users", {}, content="Let me look you up.")
    if turn == 1:
        return tool_call_text("create_task", {"user_id": "user_10", "title": "Hiring Loop 58"}) + "\n" + \
            tool_call_text("update_task_status", {"task_id": "task_1", "status": "completed"})
    if turn == 2:
        return "I created task_21 for you."
    return "Is there anything else?"


def test_env_mask_marks_exactly_the_agent_tokens(agent, mock):
    model, tokenizer = agent
    user = CountingUser(stop_after=3, check_inbox_on=1)
    engine = scripted_engine(model, tokenizer, user, _script)
    engine.backend = recorder = RecordingBackend(model, tokenizer,
                                                 extra_logits_processors=engine.backend.extra_logits_processors)
    task = mock.task("mock_create_0")
    with engine:
        conversations = engine.run([RolloutItem(task, mock, 0), RolloutItem(task, mock, 1)])
    for conv in conversations:
        assert conv.termination_reason.value == "user_stop"
        produced = recorder.outputs[conv.conversation_id]
        assert len(produced) == conv.num_agent_turns == 5
        mask, ids, logprobs = conv.env_mask, conv.completion_ids, conv.logprobs
        assert len(mask) == len(ids) == len(logprobs)
        # the 1-tokens are exactly the model's outputs, in order, and decode to its text
        assert [t for t, m in zip(ids, mask) if m] == [t for out in produced for t in out]
        agent_text = tokenizer.decode([t for t, m in zip(ids, mask) if m], skip_special_tokens=False)
        assert agent_text == "".join(tokenizer.decode(out, skip_special_tokens=False) for out in produced)
        # runs of 1s are exactly the outputs (no env token inside an agent run, none of the agent's outside)
        runs, current = [], []
        for t, m in zip(ids, mask):
            if m:
                current.append(t)
            elif current:
                runs.append(current)
                current = []
        if current:
            runs.append(current)
        assert runs == produced
        # env tokens carry logprob 0.0, agent tokens a real (negative) log-prob
        assert all(lp == 0.0 for lp, m in zip(logprobs, mask) if not m)
        assert all(lp < 0.0 for lp, m in zip(logprobs, mask) if m)
        # prompt + completion is, token for token in text, the chat template's rendering of the conversation
        decoded = tokenizer.decode(conv.prompt_ids + ids, skip_special_tokens=False)
        assert decoded + "\n" == _rendered(tokenizer, conv)
        # tool results the agent saw are in the env tokens; the user's own tool traffic is not
        env_text = tokenizer.decode([t for t, m in zip(ids, mask) if not m], skip_special_tokens=False)
        assert "<tool_response>" in env_text and '"title": "Hiring Loop 58"' in env_text
        assert "Message 1 about mock_create_0." in env_text
        assert "check_notifications" not in decoded
        assert any(c.name == "check_notifications" for m in conv.messages for c in (m.tool_calls or []))
        # the completion ends on the agent's last token (its end-of-turn token), as TRL expects
        assert ids[-1] == tokenizer.convert_tokens_to_ids("<|im_end|>") and mask[-1] == 1


def test_prompt_is_system_tools_and_first_user_message(agent, mock):
    model, tokenizer = agent
    engine = scripted_engine(model, tokenizer, CountingUser(stop_after=1), lambda c: "Hello!")
    with engine:
        (conv,) = engine.run([RolloutItem(mock.task("mock_complete_1"), mock)])
    prompt = tokenizer.decode(conv.prompt_ids, skip_special_tokens=False)
    assert prompt.startswith("<|im_start|>system\nYou are a customer service agent.")
    assert "<policy>" in prompt and "# Tools" in prompt and '"name": "update_task_status"' in prompt
    assert prompt.endswith("<|im_start|>user\nMessage 0 about mock_complete_1.<|im_end|>\n<|im_start|>assistant\n")


def test_cut_off_agent_turns_are_closed_with_env_tokens(agent, mock):
    """A turn cut by max_new_tokens has no end token; the template's end-of-turn is added as env tokens."""
    model, tokenizer = agent
    engine = scripted_engine(model, tokenizer, CountingUser(stop_after=2), lambda c: "abc-" * 200,
                             max_new_tokens=12, strict=False)
    with engine:
        (conv,) = engine.run([RolloutItem(mock.task("mock_create_0"), mock)])
    assert conv.num_agent_turns == 2
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    ids, mask = conv.completion_ids, conv.env_mask
    assert sum(mask) == 24  # two cut turns of 12 tokens
    first_env = mask.index(0)
    assert ids[first_env] == im_end  # the closing token is an env token
    assert tokenizer.decode(conv.prompt_ids + ids, skip_special_tokens=False) + "<|im_end|>\n" == \
        _rendered(tokenizer, conv)


def test_free_sampling_keeps_tokens_verbatim(agent, mock):
    """A random model's text is never re-tokenized: the masked tokens are the sampled ones even when
    the text would tokenize differently."""
    import torch

    model, tokenizer = agent
    backend = RecordingBackend(model, tokenizer)
    engine = RolloutEngine(tokenizer, CountingUser(stop_after=2), backend=backend,
                           generation=GenerationParams(max_new_tokens=24), limits=RolloutLimits(max_steps=30))
    torch.manual_seed(0)
    with engine:
        conversations = engine.run([RolloutItem(t, mock) for t in mock.tasks[:4]])
    for conv in conversations:
        produced = [t for out in backend.outputs[conv.conversation_id] for t in out]
        assert [t for t, m in zip(conv.completion_ids, conv.env_mask) if m] == produced


def test_history_ending_with_the_agent_starts_with_the_user(agent, mock):
    """A task history that ends on an agent message: the prompt has no generation prompt and the
    completion opens with the user's answer (env tokens), still matching the template exactly."""
    from agentcl.data_model import InitialState, Task

    model, tokenizer = agent
    history = [Message(role="user", content="Hello."), Message(role="assistant", content="Hi! What can I do?")]
    task = Task.model_validate({**mock.task("mock_create_0").model_dump(), "id": "agent_last",
                                "initial_state": InitialState(message_history=history).model_dump()})
    engine = scripted_engine(model, tokenizer, CountingUser(stop_after=3), lambda c: "Sure.")
    with engine:
        (conv,) = engine.run([RolloutItem(task, mock)])
    prompt = tokenizer.decode(conv.prompt_ids, skip_special_tokens=False)
    assert prompt.endswith("<|im_start|>assistant\nHi! What can I do?<|im_end|>\n")
    assert conv.env_mask[0] == 0
    assert tokenizer.decode(conv.completion_ids, skip_special_tokens=False).startswith("<|im_start|>user\nMessage ")
    assert tokenizer.decode(conv.prompt_ids + conv.completion_ids, skip_special_tokens=False) + "\n" == \
        _rendered(tokenizer, conv)
