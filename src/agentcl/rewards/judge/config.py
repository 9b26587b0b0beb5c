"""Judge configuration: the `judge:` section of the run config and its `--judge-*` flags.

The judge model is reached like the user simulator's: an OpenAI-compatible endpoint through
litellm. Endpoint and key default to the user simulator's when left unset (`api_base=None`,
no key): the inheritance happens when the judges are built (`endpoint(user_config)`), so a value
set in the YAML `users:` section is inherited as well as one set by flag.

Which judge decides NL assertions (`nl_judge`) and scores quality (`quality_judge`):
"llm" (needs --judge-model), "heuristic" (offline), or "auto" = llm when a judge model is
configured, else heuristic. The quality judge only runs when --judge-coefficient is not 0.
The reward terms' flags (--judge-coefficient, --length-penalty*) live here too; the terms
themselves are rewards/terms.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...errors import AgentclError
from ...secrets import Secret, check_key_sources, resolve_secret

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
    price_per_mtok: list[float] | None = None  # [$ per million prompt tokens, completion]; None: litellm's price list

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
            self.length_penalty_shape()
        except ValueError as exc:
            raise JudgeConfigError(f"--length-penalty-*: {exc}") from exc

    def nl_judge_kind(self) -> str:
        return ("llm" if self.model else "heuristic") if self.nl_judge == "auto" else self.nl_judge

    def quality_judge_kind(self) -> str | None:
        """None when the quality term is off."""
        if not self.judge_coefficient:
            return None
        return ("llm" if self.model else "heuristic") if self.quality_judge == "auto" else self.quality_judge

    def length_penalty_shape(self):
        """The length penalty's `LengthPenalty` (rewards/terms.py); None when it is off."""
        if not self.length_penalty:
            return None
        from ..terms import LengthPenalty

        return LengthPenalty(self.length_penalty_peak_ratio, self.length_penalty_outer_ratio,
                             self.length_penalty_scale, self.length_penalty_max)

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


def _flag(default: Any = None, help: str = "", **extra: Any) -> Any:
    return field(default=default, metadata={"help": help, **extra})


@dataclass
class JudgeArgs:
    """The judge flags of a run (also the flat YAML keys of the same names); `from_args` builds a JudgeConfig."""

    judge_model: str | None = _flag(None, "judge model for litellm, e.g. openai/gpt-4.1-mini, or 'judge' on the "
                                    "local relay")
    judge_api_base: list[str] | None = _flag(None, "OpenAI-compatible endpoint(s) of the judge, space- or "
                                             "comma-separated (default: the user simulator's)")
    judge_api_key: str | None = _flag(None, f"judge API key (prefer --judge-api-key-file or ${JUDGE_KEY_ENV}; "
                                      "default: the user simulator's; never read from a config file)")
    judge_api_key_file: str | None = _flag(None, "file holding the judge API key")
    judge_max_concurrency: int = _flag(32, "judge requests in flight at once")
    judge_timeout: float = _flag(60.0, "seconds per judge HTTP call")
    judge_num_retries: int = _flag(3, "retries of a failed judge call (429, 5xx, timeouts) before the fallback")
    judge_temperature: float = _flag(0.0, "judge sampling temperature")
    judge_max_tokens: int = _flag(1024, "token limit of a judge answer")
    judge_cache_dir: str | None = _flag(None, "directory of the judge answer cache, kept across runs (default: "
                                        "<output_dir>/judge_cache, one sub-folder per machine in multi-node runs)")
    judge_fallback_score: float = _flag(0.0, "score used when the judge fails for good (assertions: met iff >= 0.5)")
    nl_judge: str = _flag("auto", "who decides NL_ASSERTION: llm, heuristic, auto (llm when --judge-model is set)",
                          choices=list(JUDGE_CHOICES))
    quality_judge: str = _flag("auto", "who scores quality (used when --judge-coefficient != 0)",
                               choices=list(JUDGE_CHOICES))
    judge_coefficient: float = _flag(0.0, "weight of the 0-1 quality score added to the task reward (0: off)")
    length_penalty: bool = _flag(False, "subtract a length penalty (shape: the four flags below; see README)")
    length_penalty_peak_ratio: float = _flag(0.5, "no penalty up to this share of the token budget")
    length_penalty_outer_ratio: float = _flag(1.0, "share of the budget at which the penalty reaches "
                                              "--length-penalty-scale")
    length_penalty_scale: float = _flag(0.5, "penalty at --length-penalty-outer-ratio (parabolic rise from the "
                                        "peak ratio)")
    length_penalty_max: float = _flag(1.0, "cap of the penalty")
    judge_price_per_mtok: str | None = _flag(None, "IN,OUT: dollars per million prompt and completion tokens of the "
                                             "judge model (for models litellm has no price for); default: litellm's "
                                             "price list")


SECRET_FLAGS = ("judge_api_key",)  # never from a config file


def judge_config_from_args(ns: Any) -> JudgeConfig:
    """A JudgeConfig from parsed flags (a `JudgeArgs`, or any object with its attributes)."""
    base = ns.judge_api_base
    if base:
        base = [part.strip() for item in base for part in item.split(",") if part.strip()]
    check_key_sources(ns.judge_api_key, ns.judge_api_key_file, "--judge-api-key", "--judge-api-key-file")
    from ...llm.usage import PriceError, parse_price_per_mtok

    try:
        price = parse_price_per_mtok(getattr(ns, "judge_price_per_mtok", None), "--judge-price-per-mtok")
    except PriceError as exc:
        raise JudgeConfigError(str(exc)) from None
    return JudgeConfig(
        model=ns.judge_model, api_base=base or None,
        api_key=resolve_secret(ns.judge_api_key, JUDGE_KEY_ENV, ns.judge_api_key_file),
        api_key_file=ns.judge_api_key_file, max_concurrency=ns.judge_max_concurrency, timeout_s=ns.judge_timeout,
        num_retries=ns.judge_num_retries, temperature=ns.judge_temperature, max_tokens=ns.judge_max_tokens,
        cache_dir=ns.judge_cache_dir, fallback_score=ns.judge_fallback_score, nl_judge=ns.nl_judge,
        quality_judge=ns.quality_judge, judge_coefficient=ns.judge_coefficient, length_penalty=ns.length_penalty,
        length_penalty_peak_ratio=ns.length_penalty_peak_ratio,
        length_penalty_outer_ratio=ns.length_penalty_outer_ratio, length_penalty_scale=ns.length_penalty_scale,
        length_penalty_max=ns.length_penalty_max, price_per_mtok=list(price) if price else None,
    )  # cross-field checks wait for `validate()`


def parse_judge_flags(argv: list[str]) -> JudgeConfig:
    """A JudgeConfig from judge flags alone (tests, tools)."""
    from transformers import HfArgumentParser

    (args,) = HfArgumentParser(JudgeArgs).parse_args_into_dataclasses(args=list(argv))
    return judge_config_from_args(args)


from_args = judge_config_from_args
