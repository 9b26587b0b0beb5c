"""hf_user_simulator on CPU with a tiny local Qwen3 model (built here, never downloaded)."""

from __future__ import annotations

import asyncio

import pytest
import torch
from transformers import LogitsProcessor, LogitsProcessorList

from agentcl.data_model import Message
from agentcl.registry import load_domain
from agentcl.users import UserConversation, make_user_simulator, parse_user_flags
from agentcl.users.config import UserConfigError, UserSimulatorConfig
from agentcl.users.hf_user import HFUserSimulator, parse_generated

GREETING = [Message(role="assistant", content="Hi! How can I help you today?")]


@pytest.fixture(scope="module")
def mock():
    return load_domain("mock")


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory, mock):
    """A tiny Qwen3 (hidden 64, 2 layers) with a byte-level BPE trained on the mock domain's text."""
    from agentcl.models.tiny import save_tiny_agent

    corpus = [mock.policy, *(t.model_dump_json() for t in mock.tasks),
              '<tool_call>\n{"name": "check_notifications", "arguments": {}}\n</tool_call>']
    return save_tiny_agent(tmp_path_factory.mktemp("tiny-user"), corpus_texts=corpus, vocab_size=512)


class ForceReplies(LogitsProcessor):
    """Makes the model write a fixed reply per row, chosen from what the row's prompt contains.

    Rows whose prompt holds a tool result get `after_tool`; rows offered tools get `with_tools`;
    the others get `plain`. After its reply a row is forced to end (eos).
    """

    def __init__(self, tokenizer, plain: str, with_tools: str, after_tool: str):
        self.tokenizer = tokenizer
        self.replies = {k: tokenizer.encode(v, add_special_tokens=False)
                        for k, v in {"plain": plain, "with_tools": with_tools, "after_tool": after_tool}.items()}
        self.eos = tokenizer.convert_tokens_to_ids("<|im_end|>")
        self.prompt_len: int | None = None
        self.prefix: torch.LongTensor | None = None
        self.kinds: list[str] = []

    def _continues(self, input_ids: torch.LongTensor) -> bool:
        """True while the same generate() call goes on: same rows, one more token, same prompt."""
        return (self.prompt_len is not None and input_ids.shape[0] == self.prefix.shape[0]
                and input_ids.shape[1] > self.prompt_len
                and torch.equal(input_ids[:, :self.prompt_len], self.prefix))

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if not self._continues(input_ids):  # a new generate() call
            self.prompt_len, self.prefix = input_ids.shape[1], input_ids.clone()
            prompts = self.tokenizer.batch_decode(input_ids)
            self.kinds = ["after_tool" if "<tool_response>" in p else "with_tools" if "<tools>" in p else "plain"
                          for p in prompts]
        step = input_ids.shape[1] - self.prompt_len
        forced = torch.full_like(scores, float("-inf"))
        for row, kind in enumerate(self.kinds):
            reply = self.replies[kind]
            forced[row, reply[step] if step < len(reply) else self.eos] = 0.0
        return forced


def test_rollback_is_one_flag_and_a_batch_is_one_generate(mock, tiny_model_dir):
    config = parse_user_flags((["--user-type", "hf_user_simulator", "--user-model", str(tiny_model_dir),
                                          "--user-device", "cpu", "--user-max-new-tokens", "8"]))
    simulator = make_user_simulator(config)
    assert isinstance(simulator, HFUserSimulator)
    assert not any(p.requires_grad for p in simulator.model.parameters())  # frozen: never trained

    conversations = [UserConversation(task, "mock", list(GREETING), None) for task in mock.tasks[:6]]
    turns = asyncio.run(simulator.respond_batch(conversations))
    assert simulator.generate_calls == 1  # six conversations, one batched generate
    assert len(turns) == 6 and all(t.message.role == "user" and isinstance(t.message.content, str) for t in turns)
    assert all(t.usage["prompt_tokens"] > 100 and 0 <= t.usage["completion_tokens"] <= 8 for t in turns)


def test_user_tool_calls_from_the_model_run_and_only_those_rows_generate_again(mock, tiny_model_dir):
    from users_mock_agent import notification_task

    probe = HFUserSimulator(tiny_model_dir, device="cpu")
    force = ForceReplies(
        probe.tokenizer, plain="Hi. I want a new task.",
        with_tools='<tool_call>\n{"name": "check_notifications", "arguments": {}}\n</tool_call>',
        after_tool="It says task_3 is overdue.")
    simulator = HFUserSimulator(model=probe.model, tokenizer=probe.tokenizer, max_new_tokens=40,
                                generate_kwargs={"logits_processor": LogitsProcessorList([force])})
    task = notification_task(mock.tasks[0])
    env = mock.make_environment()
    env.set_state(task.initial_state)
    ask = [Message(role="assistant", content="Could you check your notifications?")]
    conversations = [UserConversation(task, "mock", ask, env, "with-tools"),
                     *(UserConversation(t, "mock", list(GREETING), None, f"plain{i}") for i, t in enumerate(mock.tasks[:3]))]
    turns = asyncio.run(simulator.respond_batch(conversations))

    assert simulator.generate_calls == 2  # round 1: all four; round 2: only the one that called a tool
    assert turns[0].message.content == "It says task_3 is overdue." and not turns[0].message.tool_calls
    call_message, result = turns[0].tool_messages
    assert call_message.tool_calls[0].name == "check_notifications" and call_message.tool_calls[0].requestor == "user"
    assert result.role == "tool" and result.requestor == "user" and "note_1" in result.content
    assert env.user_tools.assert_notification_status("note_1", "read")  # the tool really ran
    assert [t.message.content for t in turns[1:]] == ["Hi. I want a new task."] * 3
    assert all(not t.tool_messages for t in turns[1:])


def test_4bit_weights_load_and_generate_on_cpu(mock, tiny_model_dir):
    import bitsandbytes as bnb

    simulator = make_user_simulator(UserSimulatorConfig(
        user_type="hf_user_simulator", hf_model=str(tiny_model_dir), hf_device="cpu", load_in_4bit=True,
        max_new_tokens=4))
    assert any(isinstance(m, bnb.nn.Linear4bit) for m in simulator.model.modules())
    turns = asyncio.run(simulator.respond_batch(
        [UserConversation(t, "mock", list(GREETING), None) for t in mock.tasks[:2]]))
    assert len(turns) == 2 and simulator.generate_calls == 1


def test_missing_model_directory_is_a_clear_error(tmp_path):
    with pytest.raises(UserConfigError, match="model directory not found"):
        make_user_simulator(UserSimulatorConfig(user_type="hf_user_simulator", hf_model=str(tmp_path / "nope")))
    with pytest.raises(UserConfigError, match="--user-model"):
        make_user_simulator(UserSimulatorConfig(user_type="hf_user_simulator"))


def test_parse_generated_reads_qwen_style_tool_calls():
    text, calls = parse_generated(
        '<think>plan</think>Let me look.\n<tool_call>\n{"name": "dismiss_notification", '
        '"arguments": {"notification_id": "note_1"}}\n</tool_call>\n<tool_call>{bad json}</tool_call>')
    assert text == "Let me look."
    assert [(c.name, c.arguments, c.requestor) for c in calls] == [
        ("dismiss_notification", {"notification_id": "note_1"}, "user")]
    assert parse_generated("Thanks! ###STOP###") == ("Thanks! ###STOP###", [])


def test_sampling_is_seeded_and_leaves_the_global_rng_alone(mock, tiny_model_dir):
    conversations = [UserConversation(t, "mock", list(GREETING), None) for t in mock.tasks[:3]]
    outputs = []
    for _ in range(2):
        simulator = HFUserSimulator(tiny_model_dir, device="cpu", temperature=1.0, max_new_tokens=12, seed=5)
        before = torch.get_rng_state()
        turns = asyncio.run(simulator.respond_batch(conversations))
        assert torch.equal(before, torch.get_rng_state())  # the trainer's random stream is not consumed
        outputs.append([t.message.content for t in turns])
    assert outputs[0] == outputs[1] and any(outputs[0])  # same seed, same sampled replies
