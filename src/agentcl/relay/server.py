"""A local OpenAI-compatible chat-completions server: the scripted user and the offline judge.

Routing by the request's `model`: names starting with "judge" go to
`agentcl.rewards.judge.offline.answer(messages)`; every other name is answered by the scripted
user (`agentcl.users.scripted_logic.scripted_reply`), which reads the scenario from the system
prompt that agentcl's user simulators send. Faults (latency, 429, 500, hangs, malformed bodies)
are injected per request from a seeded generator; an optional bearer key is checked.

GET /stats reports total and in-flight request counts (and the most ever in flight at once), so
tests can check a client's concurrency cap; POST /stats/reset zeroes them.
"""

from __future__ import annotations

import asyncio
import hmac
import importlib
import json
import logging
import socket
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ..users.scripted_logic import MAX_USER_TURNS, ScenarioMissing, reply_to_openai_message, scripted_reply
from .faults import FaultConfig, FaultInjector

log = logging.getLogger("agentcl.relay")

JUDGE_PREFIX = "judge"


@dataclass
class RelayStats:
    """Counters shared between the server thread and readers in other threads."""

    total: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    by_status: Counter = field(default_factory=Counter)
    by_fault: Counter = field(default_factory=Counter)
    by_model: Counter = field(default_factory=Counter)
    tokens: Counter = field(default_factory=Counter)  # prompt_tokens / completion_tokens reported in 200 answers
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def enter(self, model: str) -> None:
        with self.lock:
            self.total += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.by_model[model] += 1

    def record_usage(self, usage: dict[str, Any]) -> None:
        with self.lock:
            for key in ("prompt_tokens", "completion_tokens"):
                self.tokens[key] += int(usage.get(key, 0))

    def record_fault(self, fault: str) -> None:
        """Counted when drawn, so a request that is still hanging already shows."""
        with self.lock:
            self.by_fault[fault] += 1

    def leave(self, status: int) -> None:
        with self.lock:
            self.in_flight -= 1
            self.by_status[str(status)] += 1

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"total": self.total, "in_flight": self.in_flight, "max_in_flight": self.max_in_flight,
                    "by_status": dict(self.by_status), "by_fault": dict(self.by_fault),
                    "by_model": dict(self.by_model), "tokens": dict(self.tokens)}

    def reset(self) -> None:
        with self.lock:
            self.total = 0
            self.max_in_flight = self.in_flight  # requests still running stay counted
            for counter in (self.by_status, self.by_fault, self.by_model, self.tokens):
                counter.clear()


def _error(status: int, message: str, err_type: str, code: str | None = None) -> web.Response:
    return web.json_response({"error": {"message": message, "type": err_type, "code": code}}, status=status)


def _approx_tokens(value: Any) -> int:
    return max(1, len(json.dumps(value, default=str)) // 4)


def completion_body(model: str, message: dict[str, Any], prompt: Any) -> dict[str, Any]:
    """A chat.completion object as OpenAI returns it (token counts approximated from text size)."""
    prompt_tokens, completion_tokens = _approx_tokens(prompt), _approx_tokens(message)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message,
                     "finish_reason": "tool_calls" if message.get("tool_calls") else "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


class RelayApp:
    """The request handlers and their state; `build()` gives the aiohttp application."""

    def __init__(self, faults: FaultConfig | None = None, api_key: str | None = None,
                 max_user_turns: int = MAX_USER_TURNS):
        self.faults = FaultInjector(faults or FaultConfig())
        self._api_key = api_key or None
        self.max_user_turns = max_user_turns
        self.stats = RelayStats()

    def build(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        for prefix in ("", "/v1"):
            app.router.add_post(f"{prefix}/chat/completions", self.chat_completions)
            app.router.add_get(f"{prefix}/models", self.models)
        app.router.add_get("/stats", self.get_stats)
        app.router.add_post("/stats/reset", self.reset_stats)
        app.router.add_get("/health", self.health)
        return app

    # -- small endpoints -------------------------------------------------------------------
    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def get_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats.snapshot())

    async def reset_stats(self, request: web.Request) -> web.Response:
        self.stats.reset()
        return web.json_response(self.stats.snapshot())

    async def models(self, request: web.Request) -> web.Response:
        data = [{"id": name, "object": "model", "owned_by": "agentcl-relay"} for name in ("scripted-user", "judge")]
        return web.json_response({"object": "list", "data": data})

    # -- chat completions ------------------------------------------------------------------
    def _authorised(self, request: web.Request) -> bool:
        if self._api_key is None:
            return True
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        return hmac.compare_digest(token.encode(), self._api_key.encode())

    async def chat_completions(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        model = str(body.get("model", "")) if isinstance(body, dict) else ""
        self.stats.enter(model)
        status = 500
        try:
            fault = self.faults.draw_fault()
            self.stats.record_fault(fault)
            await asyncio.sleep(self.faults.draw_latency_s())
            response = await self._answer(request, body, model, fault)
            status = response.status
            return response
        finally:
            self.stats.leave(status)

    async def _answer(self, request: web.Request, body: Any, model: str, fault: str) -> web.StreamResponse:
        if not self._authorised(request):
            return _error(401, "invalid or missing API key (send 'Authorization: Bearer <key>')",
                          "invalid_request_error", "invalid_api_key")
        if fault == "rate_limit":
            return _error(429, "rate limit reached (injected by the relay)", "rate_limit_error", "rate_limit_exceeded")
        if fault == "server_error":
            return _error(500, "internal server error (injected by the relay)", "server_error")
        if fault == "timeout":
            await asyncio.sleep(self.faults.config.hang_s)
            return _error(504, "gateway timeout (injected by the relay)", "server_error")
        if fault == "malformed":
            return web.Response(status=200, text='{"id": "chatcmpl-broken", "choices": [', content_type="application/json")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return _error(400, "the body must be a JSON object with a 'messages' list", "invalid_request_error")
        if body.get("stream"):
            return _error(400, "streaming is not supported by the agentcl relay", "invalid_request_error")
        messages, tools = body["messages"], body.get("tools") or []
        try:
            if model.lower().startswith(JUDGE_PREFIX):
                message = self._judge(messages)
            else:
                reply = scripted_reply(messages, tools, max_turns=self.max_user_turns)
                message = reply_to_openai_message(reply)
        except _JudgeUnavailable as exc:
            return _error(501, str(exc), "not_implemented")
        except (ScenarioMissing, ValueError) as exc:
            return _error(400, str(exc), "invalid_request_error")
        answer = completion_body(model, message, messages)
        self.stats.record_usage(answer["usage"])
        return web.json_response(answer)

    def _judge(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        try:  # imported lazily: the judge lives in agentcl.rewards and may not be installed
            judge = importlib.import_module("agentcl.rewards.judge.offline")
        except ImportError as exc:
            raise _JudgeUnavailable(f"the offline judge is not available ({exc})") from None
        if not hasattr(judge, "answer"):
            raise _JudgeUnavailable("agentcl.rewards.judge.offline has no answer(messages) function")
        return {"role": "assistant", "content": judge.answer(messages)}


class _JudgeUnavailable(RuntimeError):
    pass


class RelayServer:
    """The relay on its own event loop in a background thread (tests, benchmarks, the demo).

    `start()` returns the base URL to give litellm (`http://host:port/v1`); `stop()` shuts it down.
    """

    def __init__(self, faults: FaultConfig | None = None, api_key: str | None = None, host: str = "127.0.0.1",
                 port: int = 0, max_user_turns: int = MAX_USER_TURNS):
        self.app = RelayApp(faults, api_key, max_user_turns)
        self.host, self.port = host, port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stats(self) -> dict[str, Any]:
        return self.app.stats.snapshot()

    def reset_stats(self) -> None:
        self.app.stats.reset()

    async def start_async(self) -> str:
        """Serve on the running loop (for callers that own one)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._runner = web.AppRunner(self.app.build(), access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock, shutdown_timeout=0.5).start()
        return self.base_url

    async def stop_async(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def start(self) -> str:
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start_async())
            except BaseException as exc:  # report bind errors to the caller
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            # cancel what is still running (hung requests) so the loop closes cleanly
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=serve, name=f"agentcl-relay-{self.port}", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        return self.base_url

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            try:
                asyncio.run_coroutine_threadsafe(self.stop_async(), self._loop).result(timeout=10)
            finally:
                self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop = self._thread = None

    def __enter__(self) -> "RelayServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
