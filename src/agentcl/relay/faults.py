"""Faults the local relay injects: latency, rate limits, server errors, hangs, malformed bodies."""

from __future__ import annotations

import argparse
import random
from dataclasses import asdict, dataclass
from typing import Literal

LatencyDist = Literal["fixed", "uniform", "exponential"]
FaultKind = Literal["ok", "rate_limit", "server_error", "timeout", "malformed"]


@dataclass
class FaultConfig:
    """Rates are probabilities per request; they are drawn in the order 429, 500, timeout, malformed."""

    latency_ms: float = 0.0  # mean latency added to every response
    latency_dist: LatencyDist = "fixed"
    latency_jitter_ms: float = 0.0  # half-width for "uniform"
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_timeout: float = 0.0  # hang for hang_s, longer than any sensible client timeout
    hang_s: float = 30.0
    rate_malformed: float = 0.0  # 200 OK with a body that is not JSON
    seed: int = 0

    def __post_init__(self) -> None:
        rates = (self.rate_429, self.rate_500, self.rate_timeout, self.rate_malformed)
        if any(r < 0 or r > 1 for r in rates) or sum(rates) > 1:
            raise ValueError(f"fault rates must be in [0, 1] and sum to at most 1, got {rates}")
        if self.latency_ms < 0 or self.latency_jitter_ms < 0 or self.hang_s < 0:
            raise ValueError("latencies must be non-negative")
        if self.latency_dist not in ("fixed", "uniform", "exponential"):
            raise ValueError(f"unknown latency distribution {self.latency_dist!r}; use fixed, uniform or exponential")

    def to_dict(self) -> dict:
        return asdict(self)


class FaultInjector:
    """Draws each request's fate and latency from one seeded generator (one event loop: no lock)."""

    def __init__(self, config: FaultConfig):
        self.config = config
        self._rng = random.Random(config.seed)

    def draw_fault(self) -> FaultKind:
        c, u = self.config, self._rng.random()
        for kind, rate in (("rate_limit", c.rate_429), ("server_error", c.rate_500),
                           ("timeout", c.rate_timeout), ("malformed", c.rate_malformed)):
            if u < rate:
                return kind  # type: ignore[return-value]
            u -= rate
        return "ok"

    def draw_latency_s(self) -> float:
        c = self.config
        if c.latency_ms <= 0:
            return 0.0
        if c.latency_dist == "uniform":
            ms = self._rng.uniform(max(0.0, c.latency_ms - c.latency_jitter_ms), c.latency_ms + c.latency_jitter_ms)
        elif c.latency_dist == "exponential":
            ms = self._rng.expovariate(1.0 / c.latency_ms)
        else:
            ms = c.latency_ms
        return ms / 1000.0


def add_fault_args(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("fault injection")
    g.add_argument("--latency-ms", type=float, default=0.0, help="mean latency added to every response")
    g.add_argument("--latency-dist", choices=["fixed", "uniform", "exponential"], default="fixed")
    g.add_argument("--latency-jitter-ms", type=float, default=0.0, help="half-width of the uniform latency")
    g.add_argument("--rate-429", type=float, default=0.0, help="fraction of requests answered 429")
    g.add_argument("--rate-500", type=float, default=0.0, help="fraction of requests answered 500")
    g.add_argument("--rate-timeout", type=float, default=0.0, help="fraction of requests that hang for --hang-s")
    g.add_argument("--hang-s", type=float, default=30.0)
    g.add_argument("--rate-malformed", type=float, default=0.0, help="fraction answered 200 with a non-JSON body")
    g.add_argument("--seed", type=int, default=0)


def fault_config_from_args(ns: argparse.Namespace) -> FaultConfig:
    return FaultConfig(latency_ms=ns.latency_ms, latency_dist=ns.latency_dist, latency_jitter_ms=ns.latency_jitter_ms,
                       rate_429=ns.rate_429, rate_500=ns.rate_500, rate_timeout=ns.rate_timeout, hang_s=ns.hang_s,
                       rate_malformed=ns.rate_malformed, seed=ns.seed)
