"""The batched multi-turn rollout engine: many conversations between the agent model and a user simulator.

All conversations advance in lockstep rounds. In each round:
- every conversation waiting on the agent goes into ONE batched generate; the completion is parsed
  for tool calls, which run on that conversation's own Environment (its own DB copies); a
  conversation whose agent made tool calls waits on the agent again, one that spoke text waits on
  the user;
- every conversation waiting on the user is sent to the simulator in ONE `respond_batch`
  (concurrent API calls), on the engine's event loop, while the main thread runs the generate.

A conversation ends on a stop token from the user (###STOP###, ###TRANSFER###, ###OUT-OF-SCOPE###)
or the agent (###STOP###), or on a limit (steps, tool errors, tokens); `on_conversation_end` is
called the moment it ends and returns the conversation's `PendingConversationReward`
(rewards/pending.py: the task reward computed, judge requests submitted), kept as `reward`.

Several processes, one shared generator: when the backend's `generate` is a collective (its
`collective` attribute is true: TRL's vLLM server mode gathers all processes' prompts in each
call), every process must call it the same number of times. The engine then runs in step with
the other processes: each round they agree whether any conversation is still running anywhere
(`process_sync.any_process`), and a process whose own conversations are done keeps joining each
round with an empty generate call until every process is done.

Steps count every message added after the task's history: agent messages, tool results, user
messages and the user's own tool calls and results. Tool errors count agent tool calls that failed:
refused or crashed calls, unknown tools, and calls the parser could not read.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..data_model import Message, Task, TerminationReason, ToolCall, tool_result
from ..environment import Environment
from ..secrets import redact
from ..llm.usage import add_usage
from ..users.base import UserConversation, UserSimulator, UserTurn, is_stop
from ..async_runner import AsyncRunner, api_loop
from .backends import GenerationBackend, GenerationOutput, GenerationParams, GenerationRequest, HFGenerationBackend
from . import process_sync
from .chat_format import SystemPromptFn, default_system_prompt, visible_to_agent
from .masks import SegmentRenderer, TokenRecord
from .tool_parser import ParsedToolCall, ToolCallParser, get_tool_call_parser

if TYPE_CHECKING:
    from ..domains.base import DomainData
    from ..rewards.pending import PendingConversationReward

log = logging.getLogger(__name__)

INVALID_TOOL_CALL = "invalid_tool_call"  # name recorded for a call the parser could not read


@dataclass
class RolloutLimits:
    max_steps: int = 100
    max_errors: int = 10
    max_total_tokens: int = 4096  # prompt + completion

    def __post_init__(self) -> None:
        for name in ("max_steps", "max_errors", "max_total_tokens"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


@dataclass
class RolloutItem:
    """One conversation to run: a task of a domain, and which of the task's G trials it is."""

    task: Task
    domain: "DomainData"
    trial: int = 0


def expand_group(tasks: Sequence[tuple[Task, "DomainData"]], num_generations: int) -> list[RolloutItem]:
    """Each task `num_generations` times in a row (the GRPO group layout TRL uses)."""
    return [RolloutItem(t, d, g) for t, d in tasks for g in range(num_generations)]


class Phase(str, Enum):
    USER = "user"  # waiting on the user simulator
    AGENT = "agent"  # waiting on the model
    DONE = "done"


@dataclass
class Conversation:
    """One conversation's state and, once done, its result.

    `messages` is the full record (the task's message_history first, the user's tool traffic
    included, no system prompt). The token fields are what TRL's rollout_func returns: the
    completion always holds at least one token (a conversation that ends before the agent speaks
    gets the end-of-turn token, env_mask 0), since TRL indexes the last completion token.
    """

    conversation_id: str
    task: Task
    domain: "DomainData"
    trial: int
    environment: Environment
    system_prompt: str
    tools: list[dict[str, Any]]
    messages: list[Message]
    history_len: int
    phase: Phase
    tokens: TokenRecord | None = None  # None until the prompt is known (after the user's first message)
    pending: list[Message] = field(default_factory=list)  # agent-visible messages not yet tokenized
    termination_reason: TerminationReason | None = None
    num_steps: int = 0
    num_errors: int = 0
    num_agent_turns: int = 0
    num_user_turns: int = 0
    num_tool_calls: int = 0
    error: str | None = None  # what went wrong when a simulator or the agent failed (redacted)
    reward: "PendingConversationReward | None" = None  # what on_conversation_end returned
    # API spend by source (agentcl.llm.usage): "user" filled turn by turn here, "judge" by the judge
    # requests the end hook submits (charged to this bucket when their answers arrive)
    api_usage: dict[str, dict[str, float]] = field(default_factory=lambda: {"user": {}, "judge": {}})

    @property
    def task_id(self) -> str:
        return self.task.id

    @property
    def domain_name(self) -> str:
        return self.domain.name

    @property
    def done(self) -> bool:
        return self.phase is Phase.DONE

    @property
    def num_turns(self) -> int:
        """Agent turns (each generate call for this conversation)."""
        return self.num_agent_turns

    @property
    def prompt_ids(self) -> list[int]:
        return self.tokens.prompt_ids if self.tokens else []

    @property
    def completion_ids(self) -> list[int]:
        return self.tokens.completion_ids if self.tokens else []

    @property
    def logprobs(self) -> list[float]:
        return self.tokens.logprobs if self.tokens else []

    @property
    def env_mask(self) -> list[int]:
        return self.tokens.env_mask if self.tokens else []

    def counts(self) -> dict[str, int]:
        """Turn, tool and token counts, as stored in every run record's `extra`."""
        return {
            "num_agent_turns": self.num_agent_turns,
            "num_user_turns": self.num_user_turns,
            "num_tool_calls": self.num_tool_calls,
            "num_tool_errors": self.num_errors,
            "completion_tokens": len(self.completion_ids),
            "model_tokens": int(sum(self.env_mask)),
        }

    def usage_record(self) -> dict[str, dict[str, float]]:
        """The API spend as stored in a run record's `extra["usage"]`: the sources that spent anything.
        Call it once the conversation's judge answers are in (after its reward is collected)."""
        return {source: dict(values) for source, values in self.api_usage.items() if values}

    def new_messages(self) -> list[Message]:
        return self.messages[self.history_len:]

    def agent_view(self) -> list[Message]:
        return visible_to_agent(self.messages)


EndHook = Callable[[Conversation], "PendingConversationReward"]  # scores a conversation the moment it ends


@dataclass
class RolloutStats:
    """Where the time of the last `run` went (for benchmarks and logs)."""

    conversations: int = 0
    rounds: int = 0
    generate_calls: int = 0
    agent_tokens: int = 0
    generate_s: float = 0.0
    user_wait_s: float = 0.0  # time the main thread waited on the simulator after its own work
    wall_s: float = 0.0
    terminations: dict[str, int] = field(default_factory=dict)


class RolloutEngine:
    """Runs many conversations in lockstep with batched agent turns and concurrent user turns.

    Give either `model` (an HF causal LM, PEFT-wrapped or not; the default HF backend is built) or
    a `backend`. `overlap_user_turns` runs the user round on the event loop while the main thread
    generates; turn it off to run the two one after the other.
    """

    def __init__(
        self,
        tokenizer,
        user_simulator: UserSimulator,
        *,
        model=None,
        backend: GenerationBackend | None = None,
        generation: GenerationParams | None = None,
        limits: RolloutLimits | None = None,
        tool_parser: str | ToolCallParser = "qwen3",
        system_prompt: SystemPromptFn = default_system_prompt,
        on_conversation_end: EndHook | None = None,
        max_batch_size: int | None = None,
        overlap_user_turns: bool = True,
        progress: bool = False,
    ):
        if backend is None and model is None:
            raise ValueError("RolloutEngine needs a model or a generation backend")
        self.tokenizer = tokenizer
        self.user_simulator = user_simulator
        self.backend = backend if backend is not None else HFGenerationBackend(
            model, tokenizer, max_batch_size=max_batch_size)
        self.generation = generation or GenerationParams()
        self.limits = limits or RolloutLimits()
        self.parser = get_tool_call_parser(tool_parser)
        self.system_prompt = system_prompt
        self.on_conversation_end = on_conversation_end
        self.overlap_user_turns = overlap_user_turns
        self.progress = progress
        stop_ids = getattr(self.backend, "stop_token_ids", None)
        self.renderer = SegmentRenderer(tokenizer, stop_ids)
        self._runner: AsyncRunner | None = None
        self.last_stats = RolloutStats()

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def runner(self) -> AsyncRunner:
        """The process's API loop (agentcl.async_runner): user turns run there."""
        if self._runner is None:
            self._runner = api_loop()
        return self._runner

    def close(self, close_user_simulator: bool = False) -> None:
        """Optionally close the simulator's clients (on the loop they ran on); the loop is shared."""
        if self._runner is not None:
            if close_user_simulator:
                self._runner.run(self.user_simulator.aclose())
            self._runner = None

    def __enter__(self) -> "RolloutEngine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the loop -----------------------------------------------------------------------------
    def run(self, items: Sequence[RolloutItem], *, backend: GenerationBackend | None = None) -> list[Conversation]:
        """Roll out every item to its end; results in the order of `items`."""
        backend = backend or self.backend
        stats = RolloutStats(conversations=len(items))
        started = time.perf_counter()
        conversations = [self._start(item) for item in items]
        # a collective generate: every process calls it once per round until all processes are done
        in_step = bool(getattr(backend, "collective", False)) and process_sync.world_size() > 1
        bar = self._progress_bar(len(conversations))
        try:
            while True:
                user_wait = [c for c in conversations if c.phase is Phase.USER]
                agent_wait = [c for c in conversations if c.phase is Phase.AGENT]
                running = bool(user_wait or agent_wait)
                if not (process_sync.any_process(running) if in_step else running):
                    break
                stats.rounds += 1
                user_future = self.runner.submit(self._user_round(user_wait)) if user_wait else None
                if user_future is not None and not self.overlap_user_turns:
                    self._apply_user_round(user_wait, self._wait(user_future, stats))
                    user_future = None
                if agent_wait or in_step:
                    self._agent_round(agent_wait, backend, stats, always_generate=in_step)
                if user_future is not None:
                    self._apply_user_round(user_wait, self._wait(user_future, stats))
                if bar is not None:
                    bar.n = sum(c.done for c in conversations)
                    bar.refresh()
        finally:
            if bar is not None:
                bar.close()
        stats.wall_s = time.perf_counter() - started
        for c in conversations:
            key = c.termination_reason.value if c.termination_reason else "unknown"
            stats.terminations[key] = stats.terminations.get(key, 0) + 1
        self.last_stats = stats
        return conversations

    def _progress_bar(self, total: int):
        if not self.progress:
            return None
        from tqdm.auto import tqdm

        return tqdm(total=total, desc="rollouts", unit="conv", leave=False)

    @staticmethod
    def _wait(future, stats: RolloutStats):
        t0 = time.perf_counter()
        result = future.result()
        stats.user_wait_s += time.perf_counter() - t0
        return result

    # -- start --------------------------------------------------------------------------------
    def _start(self, item: RolloutItem) -> Conversation:
        task, domain = item.task, item.domain
        env = domain.make_environment()
        history = env.set_state(task.initial_state)
        conv = Conversation(
            conversation_id=f"{domain.name}/{task.id}/{item.trial}/{uuid.uuid4().hex[:8]}",
            task=task,
            domain=domain,
            trial=item.trial,
            environment=env,
            system_prompt=self.system_prompt(domain, task),
            tools=env.agent_tool_schemas(),
            messages=list(history),
            history_len=len(history),
            phase=Phase.USER,
        )
        visible = conv.agent_view()
        if not visible:
            return conv  # the user speaks first; the prompt is fixed once they have
        last = visible[-1]
        if last.role == "assistant" and not last.tool_calls:
            conv.tokens = TokenRecord(self._prompt_ids(conv, visible, add_generation_prompt=False))
            return conv  # the agent spoke last: the user answers
        conv.tokens = TokenRecord(self._prompt_ids(conv, visible, add_generation_prompt=True))
        conv.phase = Phase.AGENT
        return conv

    def _prompt_ids(self, conv: Conversation, visible: list[Message], add_generation_prompt: bool) -> list[int]:
        messages = [Message(role="system", content=conv.system_prompt)] + visible
        return self.renderer.prompt_ids(messages, conv.tools, add_generation_prompt)

    # -- agent turns --------------------------------------------------------------------------
    def _agent_round(self, conversations: list[Conversation], backend: GenerationBackend, stats: RolloutStats,
                     always_generate: bool = False) -> None:
        """One batched generate for the conversations waiting on the agent.

        `always_generate`: call the backend even with no request (a collective backend needs
        every process in every round)."""
        requests = []
        for conv in conversations:
            request = self._agent_request(conv)
            if request is not None:
                requests.append(request)
        if not requests and not always_generate:
            return
        t0 = time.perf_counter()
        outputs = backend.generate(requests, self.generation)
        stats.generate_s += time.perf_counter() - t0
        stats.generate_calls += 1
        for request, output in zip(requests, outputs):
            stats.agent_tokens += len(output.token_ids)
            self._apply_agent_output(request.tag, output)

    def _agent_request(self, conv: Conversation) -> GenerationRequest | None:
        """Tokenize what the agent has not seen yet and ask for its next turn (or end on the token limit)."""
        assert conv.tokens is not None
        env_ids = self.renderer.env_ids(conv.pending, conv.tokens.turn_end) if conv.pending else []
        budget = self.limits.max_total_tokens - len(conv.tokens) - len(env_ids)
        if budget < 1:
            self._finish(conv, TerminationReason.MAX_TOKENS)
            return None
        if env_ids:
            conv.tokens.add_env(env_ids)
        conv.pending.clear()
        return GenerationRequest(conv.tokens.input_ids, min(self.generation.max_new_tokens, budget), tag=conv)

    def _apply_agent_output(self, conv: Conversation, output: GenerationOutput) -> None:
        assert conv.tokens is not None
        stopped_on_turn_end = output.stopped and bool(output.token_ids) and (
            output.token_ids[-1] == self.renderer.turn_end_id)
        conv.tokens.add_agent(output.token_ids, output.logprobs, stopped_on_turn_end)
        conv.num_agent_turns += 1
        body = output.token_ids[:-1] if output.stopped else output.token_ids
        text = self.tokenizer.decode(body, skip_special_tokens=False)
        if not output.stopped and len(conv.tokens) >= self.limits.max_total_tokens:
            self._record(conv, Message(role="assistant", content=text))  # cut mid-turn: nothing runs
            self._finish(conv, TerminationReason.MAX_TOKENS)
            return
        parsed = self.parser.parse(text)
        calls = [self._tool_call(conv, p) for p in parsed.tool_calls]
        message = Message(role="assistant", content=parsed.content or None, tool_calls=calls or None)
        self._record(conv, message)  # its tokens are the model's own, already recorded
        for parsed_call, call in zip(parsed.tool_calls, calls):
            result = self._run_tool(conv, parsed_call, call)
            self._record(conv, result)
            conv.pending.append(result)
        if is_stop(parsed.content):
            self._finish(conv, TerminationReason.AGENT_STOP)
        elif self._limit_reached(conv):
            return
        elif calls:
            conv.phase = Phase.AGENT  # the agent reads its tool results next
        else:
            conv.phase = Phase.USER

    def _tool_call(self, conv: Conversation, parsed: ParsedToolCall) -> ToolCall:
        call_id = f"call_{conv.num_tool_calls}"
        conv.num_tool_calls += 1
        if parsed.ok:
            return ToolCall(id=call_id, name=parsed.name or "", arguments=parsed.arguments, requestor="assistant")
        return ToolCall(id=call_id, name=INVALID_TOOL_CALL, arguments={"raw": parsed.raw}, requestor="assistant")

    def _run_tool(self, conv: Conversation, parsed: ParsedToolCall, call: ToolCall) -> Message:
        if parsed.ok:
            result = conv.environment.get_response(call)
        else:
            result = tool_result(call, f"Error: could not read the tool call: {parsed.error}", error=True)
        if result.error:
            conv.num_errors += 1
        return result

    # -- user turns ---------------------------------------------------------------------------
    async def _user_round(self, conversations: list[Conversation]) -> list[UserTurn | BaseException]:
        requests = [
            UserConversation(task=c.task, domain=c.domain_name, history=list(c.messages),
                             environment=c.environment, conversation_id=c.conversation_id)
            for c in conversations
        ]
        try:
            turns = await self.user_simulator.respond_batch(requests)
            if len(turns) != len(requests):
                raise RuntimeError(f"respond_batch returned {len(turns)} turns for {len(requests)} conversations")
            return list(turns)
        except Exception:  # noqa: BLE001 - find out which conversations failed, keep the others
            log.warning("user simulator batch failed; retrying conversations one by one", exc_info=True)
        results = await asyncio.gather(*(self.user_simulator.respond(r) for r in requests), return_exceptions=True)
        return list(results)

    def _apply_user_round(self, conversations: list[Conversation], turns: list[UserTurn | BaseException]) -> None:
        for conv, turn in zip(conversations, turns):
            if isinstance(turn, BaseException):
                conv.error = redact(f"user simulator failed: {type(turn).__name__}: {turn}")
                self._finish(conv, TerminationReason.USER_ERROR)
                continue
            self._apply_user_turn(conv, turn)

    def _apply_user_turn(self, conv: Conversation, turn: UserTurn) -> None:
        add_usage(conv.api_usage["user"], turn.usage)
        for hidden in turn.tool_messages:
            self._record(conv, hidden)
        message = turn.message
        if message.role != "user":
            message = message.model_copy(update={"role": "user"})
        self._record(conv, message)
        conv.num_user_turns += 1
        if turn.stop:
            self._finish(conv, TerminationReason.USER_STOP)
            return
        if self._limit_reached(conv):
            return
        if conv.tokens is None:  # the first user message completes the prompt
            conv.tokens = TokenRecord(self._prompt_ids(conv, conv.agent_view(), add_generation_prompt=True))
        else:
            conv.pending.append(Message(role="user", content=message.content or ""))
        conv.phase = Phase.AGENT

    # -- bookkeeping --------------------------------------------------------------------------
    def _record(self, conv: Conversation, message: Message) -> None:
        conv.messages.append(message.model_copy(update={"turn_idx": len(conv.messages)}))
        conv.num_steps += 1

    def _limit_reached(self, conv: Conversation) -> bool:
        if conv.num_errors >= self.limits.max_errors:
            self._finish(conv, TerminationReason.TOO_MANY_ERRORS)
            return True
        if conv.num_steps >= self.limits.max_steps:
            self._finish(conv, TerminationReason.MAX_STEPS)
            return True
        return False

    def _finish(self, conv: Conversation, reason: TerminationReason) -> None:
        conv.phase = Phase.DONE
        conv.termination_reason = reason
        conv.pending.clear()  # trailing user/tool turns are in the record, not in the tokens
        if conv.tokens is None:  # ended before the prompt was complete (the user failed or stopped at once)
            conv.tokens = TokenRecord(self._prompt_ids(conv, conv.agent_view(), add_generation_prompt=True))
        if not conv.tokens.completion_ids:
            conv.tokens.add_env([self.renderer.turn_end_id])
        if self.on_conversation_end is not None:
            conv.reward = self.on_conversation_end(conv)
