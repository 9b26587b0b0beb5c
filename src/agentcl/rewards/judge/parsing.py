"""Reading a judge model's answer: JSON that may be fenced, wrapped in prose, or partly broken.

`parse_assertion_verdicts` and `parse_quality_score` raise `JudgeParseError` when nothing usable
is in the text; the dispatcher then asks again (a fresh call) and falls back after that.

Tried in order: 1. the text as is; 2. the inside of each ```json fence; 3. for each `{` or `[`
(first first, so the outermost value wins over a piece of it): the span to its matching close,
then that span with trailing commas removed and Python literals (True/False/None) and single
quotes converted, then also with an unclosed string and brackets closed (a truncated answer).
If no JSON survives, the assertion parser falls back to reading `"met": true/false` pairs in
order, and the quality parser to the first number after the word "score".
"""

from __future__ import annotations

import json
import re
from typing import Any


class JudgeParseError(ValueError):
    """The judge's answer holds no usable verdict."""


_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)(?:```|$)", re.DOTALL)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")


def _openers(text: str, limit: int = 20) -> list[int]:
    return [i for i, ch in enumerate(text) if ch in "{["][:limit]


class _StringTracker:
    """Follows JSON string quoting one character at a time (escapes included)."""

    def __init__(self) -> None:
        self.in_string = False
        self._escaped = False

    def outside(self, ch: str) -> bool:
        """Feed `ch`; True when it is structure (outside every string, and not a quote)."""
        if self.in_string:
            if self._escaped:
                self._escaped = False
            elif ch == "\\":
                self._escaped = True
            elif ch == '"':
                self.in_string = False
            return False
        if ch == '"':
            self.in_string = True
            return False
        return True


def _balanced_span(text: str, start: int) -> str:
    """From the { or [ at `start` to its matching close (or to the end if it never closes)."""
    depth, strings = 0, _StringTracker()
    for i in range(start, len(text)):
        ch = text[i]
        if not strings.outside(ch):
            continue
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return text[start:i + 1]
    return text[start:]


def _close_truncated(text: str) -> str:
    """Close an unterminated string and any open brackets, in the right order."""
    stack, strings = [], _StringTracker()
    for ch in text:
        if not strings.outside(ch):
            continue
        if ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
    out = text + ('"' if strings.in_string else "")
    out = re.sub(r",\s*$", "", out.rstrip())
    out = re.sub(r':\s*$', ": null", out)  # a key whose value was cut off
    return out + "".join(reversed(stack))


def _pythonish_to_json(text: str) -> str:
    text = re.sub(r"\bTrue\b", "true", text)
    text = re.sub(r"\bFalse\b", "false", text)
    text = re.sub(r"\bNone\b", "null", text)
    if '"' not in text and "'" in text:
        text = text.replace("'", '"')
    return text


def extract_json(text: str) -> Any:
    """The first JSON value in `text`, repaired if needed; JudgeParseError if there is none."""
    if not isinstance(text, str) or not text.strip():
        raise JudgeParseError("empty answer")
    candidates = [text.strip()]
    candidates += [m.group(1).strip() for m in _FENCE.finditer(text)]
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except (json.JSONDecodeError, ValueError):
            pass
    # Outermost first: an inner object that parses must not win over a repairable whole.
    for start in _openers(text):
        span = _balanced_span(text, start)
        repaired = _TRAILING_COMMA.sub(r"\1", _pythonish_to_json(span))
        for attempt in (span, repaired, _TRAILING_COMMA.sub(r"\1", _close_truncated(repaired))):
            try:
                return json.loads(attempt)
            except (json.JSONDecodeError, ValueError):
                pass
    raise JudgeParseError(f"no JSON in the answer: {text[:120]!r}")


_TRUE = {"true", "yes", "met", "pass", "passed", "satisfied", "1", "y"}
_FALSE = {"false", "no", "not met", "unmet", "fail", "failed", "not satisfied", "0", "n"}


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value >= 0.5
    if isinstance(value, str):
        v = value.strip().lower()
        if v in _TRUE:
            return True
        if v in _FALSE:
            return False
    return None


_MET_KEYS = ("met", "satisfied", "passed", "pass", "verdict", "result", "holds", "value")
_REASON_KEYS = ("reason", "reasoning", "explanation", "justification", "detail", "rationale")


def _verdict_of(entry: Any) -> tuple[bool, str] | None:
    if isinstance(entry, dict):
        for key in _MET_KEYS:
            if key in entry:
                met = _as_bool(entry[key])
                if met is not None:
                    reason = next((str(entry[k]) for k in _REASON_KEYS if entry.get(k)), "")
                    return met, reason
        return None
    met = _as_bool(entry)
    return None if met is None else (met, "")


def _entries(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("results", "assertions", "verdicts", "evaluations", "checks"):
            if isinstance(data.get(key), list):
                return data[key]
        if _verdict_of(data) is not None:  # a single verdict object
            return [data]
    return None


_MET_PAIR = re.compile(r'"?(?:met|satisfied|passed)"?\s*[:=]\s*"?(true|false|yes|no)"?', re.IGNORECASE)


def parse_assertion_verdicts(text: str, assertions: list[str]) -> list[tuple[bool, str]]:
    """One (met, reason) per assertion, in the assertions' order."""
    n = len(assertions)
    try:
        entries = _entries(extract_json(text))
    except JudgeParseError:
        entries = None
    verdicts: list[tuple[bool, str] | None] = [None] * n
    if entries is not None:
        # Match by assertion text when the judge echoed it, else by position.
        by_text = {a.strip().lower(): i for i, a in enumerate(assertions)}
        unplaced = []
        for entry in entries:
            verdict = _verdict_of(entry)
            if verdict is None:
                continue
            key = str(entry.get("assertion", "")).strip().lower() if isinstance(entry, dict) else ""
            if key in by_text and verdicts[by_text[key]] is None:
                verdicts[by_text[key]] = verdict
            else:
                unplaced.append(verdict)
        free = [i for i, v in enumerate(verdicts) if v is None]
        for i, verdict in zip(free, unplaced):
            verdicts[i] = verdict
    if any(v is None for v in verdicts):
        pairs = [(m.group(1).lower() in ("true", "yes"), "") for m in _MET_PAIR.finditer(text or "")]
        if len(pairs) >= n and (entries is None or not any(verdicts)):
            verdicts = pairs[:n]
    missing = [assertions[i] for i, v in enumerate(verdicts) if v is None]
    if missing:
        raise JudgeParseError(f"no verdict for {len(missing)} of {n} assertions (first: {missing[0][:80]!r})")
    return [v for v in verdicts if v is not None]


_SCORE_WORD = re.compile(r"score\W{0,4}(-?\d+(?:\.\d+)?)(\s*/\s*(\d+))?", re.IGNORECASE)


def normalise_score(value: float, out_of: float | None = None) -> float:
    """Scale a score to 0-1: an explicit "x / N", else 0-10 or 0-100 scales are read as such."""
    if out_of:
        value = value / out_of
    elif 1 < value <= 10:
        value = value / 10
    elif 10 < value <= 100:
        value = value / 100
    return min(1.0, max(0.0, value))


def parse_quality_score(text: str) -> tuple[float, str]:
    """(score in 0-1, reason)."""
    try:
        data = extract_json(text)
    except JudgeParseError:
        data = None
    if isinstance(data, dict):
        for key in ("score", "quality", "rating", "value"):
            value = data.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                reason = next((str(data[k]) for k in _REASON_KEYS if data.get(k)), "")
                return normalise_score(float(value)), reason
            if isinstance(value, str):
                try:
                    return normalise_score(float(value)), ""
                except ValueError:
                    pass
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return normalise_score(float(data)), ""
    match = _SCORE_WORD.search(text or "")
    if match:
        out_of = float(match.group(3)) if match.group(3) else None
        return normalise_score(float(match.group(1)), out_of), ""
    raise JudgeParseError(f"no score in the answer: {(text or '')[:120]!r}")
