"""Judge configuration: the `judge:` section of the run config and its `--judge-*` flags.

The judge model is reached like the user simulator's: an OpenAI-compatible endpoint through
litellm. Endpoint and key default to the user simulator's when left unset (`api_base=None`,
no key): the inheritance happens when the judges are built (`endpoint(user_config)`), so a value
set in the YAML `users:` section is inherited as well as one set by flag.

Which judge decides NL assertions (`nl_judge`) and scores quality (`quality_judge`):
"llm" (needs --judge-model), "heuristic" (offline), or "auto" = llm when a judge model is
configured, else heuristic. The quality judge only runs when --judge-coefficient is not 0.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

from ...errors import AgentclError
from ...secrets import Secret, resolve_secret
from ..composition import CompositionConfig, LengthPenalty

JUDGE_KEY_ENV = "AGENTCL_JUDGE_API_KEY"
JUDGE_CHOICES = ("auto", "llm", "heuristic")


class JudgeConfigError(AgentclError, ValueError):
    """A bad judge setting; the message names the flag."""


@dataclass
class JudgeConfig:
    model: str | None = None
    api_base: list[str] | None = None  # one or more endpoints (load-balanced); None: the user simulator's
    api_key: Secret = field(default_factory=lambda: Secret(None))
    api_key_file: str | None = None
    max_concurrency: int = 32
    timeout_s: float = 60.0
    num_retries: int = 3
    temperature: float = 0.0
    max_tokens: int = 1024
    cache_dir: str | None = None  # None: <output_dir>/judge_cache when a run builds it, memory otherwise
    fallback_score: float = 0.0
    nl_judge: str = "auto"
    quality_judge: str = "auto"
    judge_coefficient: float = 0.0
    length_penalty: bool = False
    length_penalty_peak_ratio: float = 0.5
    length_penalty_outer_ratio: float = 1.0
    length_penalty_scale: float = 0.5
    length_penalty_max: float = 1.0

    def __post_init__(self) -> None:
        self._normalise()

    def _normalise(self) -> None:
        """Accept what YAML gives (one URL or a comma-separated string) after construction too."""
        if isinstance(self.api_base, str):
            self.api_base = [b.strip() for b in self.api_base.split(",") if b.strip()] or None
        elif self.api_base is not None:
            self.api_base = [str(b) for b in self.api_base] or None
        if not isinstance(self.api_key, Secret):
            self.api_key = Secret(self.api_key)

    def validate(self) -> None:
        self._normalise()
        if self.max_concurrency < 1:
            raise JudgeConfigError(f"--judge-max-concurrency must be >= 1, got {self.max_concurrency}")
        if self.timeout_s <= 0:
            raise JudgeConfigError(f"--judge-timeout must be positive, got {self.timeout_s}")
        if self.num_retries < 0:
            raise JudgeConfigError(f"--judge-num-retries must be >= 0, got {self.num_retries}")
        if not 0.0 <= self.fallback_score <= 1.0:
            raise JudgeConfigError(f"--judge-fallback-score must be in [0, 1], got {self.fallback_score}")
        for flag, value in (("--nl-judge", self.nl_judge), ("--quality-judge", self.quality_judge)):
            if value not in JUDGE_CHOICES:
                raise JudgeConfigError(f"{flag} {value!r}: choose from {', '.join(JUDGE_CHOICES)}")
        if "llm" in (self.nl_judge, self.quality_judge) and not self.model:
            raise JudgeConfigError("an LLM judge was asked for (--nl-judge/--quality-judge llm) but no --judge-model is set")
        try:
            self.composition()
        except ValueError as exc:  # the length-penalty shape
            raise JudgeConfigError(f"--length-penalty-*: {exc}") from exc

    def nl_judge_kind(self) -> str:
        return ("llm" if self.model else "heuristic") if self.nl_judge == "auto" else self.nl_judge

    def quality_judge_kind(self) -> str | None:
        """None when the quality term is off."""
        if not self.judge_coefficient:
            return None
        return ("llm" if self.model else "heuristic") if self.quality_judge == "auto" else self.quality_judge

    def composition(self) -> CompositionConfig:
        penalty = None
        if self.length_penalty:
            penalty = LengthPenalty(self.length_penalty_peak_ratio, self.length_penalty_outer_ratio,
                                    self.length_penalty_scale, self.length_penalty_max)
        return CompositionConfig(judge_coefficient=self.judge_coefficient, length_penalty=penalty)

    def resolved_key(self) -> Secret:
        """The key from --judge-api-key, --judge-api-key-file or $AGENTCL_JUDGE_API_KEY (may be empty)."""
        if self.api_key:
            return self.api_key
        return resolve_secret(None, JUDGE_KEY_ENV, self.api_key_file)

    def endpoint(self, user_config: Any = None) -> tuple[list[str] | None, Secret]:
        """(api bases, key), each defaulting to the user simulator's when unset here."""
        self._normalise()
        bases, key = self.api_base, self.resolved_key()
        if user_config is not None:
            if not bases:
                user_bases = getattr(user_config, "api_base", None) or getattr(user_config, "api_bases", None)
                if isinstance(user_bases, str):
                    user_bases = [b.strip() for b in user_bases.split(",") if b.strip()]
                bases = list(user_bases) if user_bases else None
            if not key:
                resolve = getattr(user_config, "resolved_key", None)
                user_key = resolve() if callable(resolve) else getattr(user_config, "api_key", None)
                if isinstance(user_key, Secret) and user_key:
                    key = user_key
                elif isinstance(user_key, str) and user_key:
                    key = Secret(user_key)
        return bases, key


def _comma_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def add_judge_args(parser: argparse.ArgumentParser) -> None:
    d = JudgeConfig()
    g = parser.add_argument_group("judge", "LLM judges (NL assertions, quality) and reward composition")
    g.add_argument("--judge-model", default=d.model,
                   help="judge model for litellm, e.g. openai/gpt-4.1-mini, or 'judge' on the local relay")
    g.add_argument("--judge-api-base", type=_comma_list, default=d.api_base, metavar="URL[,URL...]",
                   help="OpenAI-compatible endpoint(s) of the judge (default: the user simulator's)")
    g.add_argument("--judge-api-key", default=None,
                   help=f"judge API key (prefer --judge-api-key-file or ${JUDGE_KEY_ENV}; default: the user "
                        "simulator's)")
    g.add_argument("--judge-api-key-file", default=d.api_key_file, help="file holding the judge API key")
    g.add_argument("--judge-max-concurrency", type=int, default=d.max_concurrency,
                   help="judge requests in flight at once")
    g.add_argument("--judge-timeout", type=float, default=d.timeout_s, help="seconds per judge HTTP call")
    g.add_argument("--judge-num-retries", type=int, default=d.num_retries,
                   help="retries of a failed judge call (429, 5xx, timeouts) before the fallback")
    g.add_argument("--judge-temperature", type=float, default=d.temperature, help="judge sampling temperature")
    g.add_argument("--judge-max-tokens", type=int, default=d.max_tokens, help="token limit of a judge answer")
    g.add_argument("--judge-cache-dir", default=d.cache_dir,
                   help="directory of the judge answer cache, kept across runs (default: <output_dir>/judge_cache, "
                        "one sub-folder per machine in multi-node runs)")
    g.add_argument("--judge-fallback-score", type=float, default=d.fallback_score,
                   help="score used when the judge fails for good (assertions: met iff >= 0.5)")
    g.add_argument("--nl-judge", choices=JUDGE_CHOICES, default=d.nl_judge,
                   help="who decides NL_ASSERTION: llm, heuristic, auto (llm when --judge-model is set)")
    g.add_argument("--quality-judge", choices=JUDGE_CHOICES, default=d.quality_judge,
                   help="who scores quality (used when --judge-coefficient != 0)")
    g.add_argument("--judge-coefficient", type=float, default=d.judge_coefficient,
                   help="weight of the 0-1 quality score added to the task reward (0: off)")
    g.add_argument("--length-penalty", action=argparse.BooleanOptionalAction, default=d.length_penalty,
                   help="subtract a length penalty (shape: the four flags below; see README)")
    g.add_argument("--length-penalty-peak-ratio", type=float, default=d.length_penalty_peak_ratio,
                   help="no penalty up to this share of the token budget")
    g.add_argument("--length-penalty-outer-ratio", type=float, default=d.length_penalty_outer_ratio,
                   help="share of the budget at which the penalty reaches --length-penalty-scale")
    g.add_argument("--length-penalty-scale", type=float, default=d.length_penalty_scale,
                   help="penalty at --length-penalty-outer-ratio (parabolic rise from the peak ratio)")
    g.add_argument("--length-penalty-max", type=float, default=d.length_penalty_max, help="cap of the penalty")


def judge_config_from_args(ns: argparse.Namespace) -> JudgeConfig:
    d = JudgeConfig()

    def get(name: str, default: Any) -> Any:
        return getattr(ns, name, default)

    key_file = get("judge_api_key_file", None)
    config = JudgeConfig(
        model=get("judge_model", d.model),
        api_base=get("judge_api_base", d.api_base),
        api_key=resolve_secret(get("judge_api_key", None), JUDGE_KEY_ENV, key_file),
        api_key_file=key_file,
        max_concurrency=get("judge_max_concurrency", d.max_concurrency),
        timeout_s=get("judge_timeout", d.timeout_s),
        num_retries=get("judge_num_retries", d.num_retries),
        temperature=get("judge_temperature", d.temperature),
        max_tokens=get("judge_max_tokens", d.max_tokens),
        cache_dir=get("judge_cache_dir", d.cache_dir),
        fallback_score=get("judge_fallback_score", d.fallback_score),
        nl_judge=get("nl_judge", d.nl_judge),
        quality_judge=get("quality_judge", d.quality_judge),
        judge_coefficient=get("judge_coefficient", d.judge_coefficient),
        length_penalty=get("length_penalty", d.length_penalty),
        length_penalty_peak_ratio=get("length_penalty_peak_ratio", d.length_penalty_peak_ratio),
        length_penalty_outer_ratio=get("length_penalty_outer_ratio", d.length_penalty_outer_ratio),
        length_penalty_scale=get("length_penalty_scale", d.length_penalty_scale),
        length_penalty_max=get("length_penalty_max", d.length_penalty_max),
    )
    # Cross-field checks wait for `validate()` at build time: YAML may still fill other fields.
    return config


from_args = judge_config_from_args  # the name the issue uses
