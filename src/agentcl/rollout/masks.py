"""Token bookkeeping for one conversation: prompt, completion, sampling logprobs and env_mask.

The completion is the whole conversation after the prompt. It is built by appending pieces:
- agent pieces: the tokens the model sampled, verbatim (never re-tokenized), env_mask 1, with their
  sampling logprobs;
- environment pieces: user turns and tool results rendered with the chat template and tokenized,
  env_mask 0, logprob 0.0.

Environment pieces are rendered as a *delta*: `SegmentRenderer` renders a fixed stand-in
conversation ending with an assistant turn, once alone and once followed by the new messages, and
keeps what the template wrote after the stand-in assistant's text. That delta starts with the
template's end-of-turn text (`<|im_end|>` for Qwen3) and its trailing whitespace (`\\n`); the part
the model already produced (its stop token) is dropped, so the tokens line up exactly with what the
template would have produced for the whole conversation, while the model's own tokens stay as sampled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ..data_model import Message
from .chat_format import to_chat_dicts

_SENTINEL = "agentcl-agent-text-7f3a"


class TurnEnd(str, Enum):
    """How the token sequence currently ends, which decides what an environment piece must add first."""

    RENDERED = "rendered"  # the chat template wrote the end (the prompt): nothing to close
    AGENT_STOPPED = "agent_stopped"  # the model sampled its end-of-turn token: add the template's tail
    AGENT_OPEN = "agent_open"  # the model was cut off (or stopped on another token): close the turn


class SegmentRenderer:
    """Renders prompts and environment deltas with a tokenizer's chat template."""

    def __init__(self, tokenizer, stop_token_ids: list[int] | None = None):
        self.tokenizer = tokenizer
        base = [
            {"role": "system", "content": "s"},
            {"role": "user", "content": "u"},
            {"role": "assistant", "content": _SENTINEL},
        ]
        self._base = base
        after = self._after_sentinel(self.render(base + [{"role": "user", "content": "u2"}]))
        candidates = [tokenizer.decode([i]) for i in (stop_token_ids or [])] + [tokenizer.eos_token or ""]
        turn_end = next((c for c in candidates if c and after.startswith(c)), None)
        if turn_end is None:
            raise ValueError(
                "the chat template does not end an assistant turn with one of the stop tokens "
                f"{[c for c in candidates if c]}; rendered {after[:40]!r} after the assistant text"
            )
        self.turn_end_text = turn_end
        ids = tokenizer.encode(turn_end, add_special_tokens=False)
        if len(ids) != 1:
            raise ValueError(f"the end-of-turn text {turn_end!r} is not a single token ({ids})")
        self.turn_end_id = ids[0]

    # -- rendering --------------------------------------------------------------------------
    def render(self, messages: list[dict[str, Any]], tools: list[dict] | None = None,
               add_generation_prompt: bool = False) -> str:
        return self.tokenizer.apply_chat_template(
            messages, tools=tools or None, tokenize=False, add_generation_prompt=add_generation_prompt
        )

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def prompt_ids(self, messages: list[Message], tools: list[dict] | None, add_generation_prompt: bool) -> list[int]:
        return self.encode(self.render(to_chat_dicts(messages), tools, add_generation_prompt))

    def _after_sentinel(self, text: str) -> str:
        index = text.rfind(_SENTINEL)
        if index < 0:
            raise ValueError("the chat template dropped the assistant's text; cannot compute token deltas")
        return text[index + len(_SENTINEL):]

    def env_text(self, messages: list[Message], turn_end: TurnEnd, add_generation_prompt: bool = True) -> str:
        """The text the template writes for `messages` after an assistant turn, given how that turn ended."""
        after = self._after_sentinel(self.render(self._base + to_chat_dicts(messages),
                                                 add_generation_prompt=add_generation_prompt))
        if not after.startswith(self.turn_end_text):
            raise ValueError(f"expected {self.turn_end_text!r} after the assistant text, got {after[:40]!r}")
        rest = after[len(self.turn_end_text):]
        tail = rest[: len(rest) - len(rest.lstrip())]  # whitespace the template puts after the end token
        segment = rest[len(tail):]
        if turn_end is TurnEnd.RENDERED:
            return segment
        if turn_end is TurnEnd.AGENT_STOPPED:
            return tail + segment
        return self.turn_end_text + tail + segment

    def env_ids(self, messages: list[Message], turn_end: TurnEnd, add_generation_prompt: bool = True) -> list[int]:
        return self.encode(self.env_text(messages, turn_end, add_generation_prompt))


@dataclass
class TokenRecord:
    """prompt_ids plus the completion built piece by piece; the four lists TRL's rollout_func wants."""

    prompt_ids: list[int]
    completion_ids: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    env_mask: list[int] = field(default_factory=list)
    turn_end: TurnEnd = TurnEnd.RENDERED

    def __len__(self) -> int:
        return len(self.prompt_ids) + len(self.completion_ids)

    @property
    def input_ids(self) -> list[int]:
        """What the model conditions on for its next turn."""
        return self.prompt_ids + self.completion_ids

    def add_agent(self, token_ids: list[int], logprobs: list[float], stopped_on_turn_end: bool) -> None:
        if len(token_ids) != len(logprobs):
            raise ValueError(f"{len(token_ids)} agent tokens but {len(logprobs)} logprobs")
        self.completion_ids.extend(token_ids)
        self.logprobs.extend(float(x) for x in logprobs)
        self.env_mask.extend([1] * len(token_ids))
        self.turn_end = TurnEnd.AGENT_STOPPED if stopped_on_turn_end else TurnEnd.AGENT_OPEN

    def add_env(self, token_ids: list[int]) -> None:
        self.completion_ids.extend(token_ids)
        self.logprobs.extend([0.0] * len(token_ids))
        self.env_mask.extend([0] * len(token_ids))
        self.turn_end = TurnEnd.RENDERED

    def agent_token_ids(self) -> list[int]:
        return [t for t, m in zip(self.completion_ids, self.env_mask) if m]
