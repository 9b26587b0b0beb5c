"""An offline stand-in for an LLM judge: deterministic keyword-overlap heuristics.

It exists so that everything that needs a judge (NL_ASSERTION rewards, the quality term, the local
relay's "judge*" models, tests, the judge benchmark) runs without any model or network. It is
crude on purpose and must not be mistaken for a real judge.

Assertion heuristic (`assess_assertion`):
1. Lower-case, drop commas inside numbers ("$8,276.23" -> "8276.23") and split into words.
2. Drop stop words and the boilerplate every assertion shares ("agent", "should", "tell", ...).
   What is left are the key terms; numbers are "hard" terms, every other word is reduced to a
   crude stem (its first 5 letters) so "cancel" matches "cancellation".
3. The assertion is met when every number appears in the agent's text and at least
   `MIN_OVERLAP` of the stems do.
4. Negated assertions ("should not offer", "never ...", "refuse to ..."): met when no agent
   message covers the key terms, or when the message that does also carries a negation
   ("cannot", "unable", "not", ...): i.e. the agent did not do it, or said it would not.

Quality heuristic (`quality_score`): the mean of three 0-1 signals over the conversation:
the share of tool calls that did not fail, the share of user turns the agent answered with text,
and the share of agent messages that are not verbatim repeats.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MIN_OVERLAP = 0.5
STEM_LENGTH = 5

_STOP_WORDS = frozenset(
    """a an the and or but if then than that this these those there their them they it its is are was
    were be been being to of in on at by for with from as into about over under up down out so such
    do does did done doing have has had having will would shall should can could may might must
    i you he she we me my your his her our us who whom which what when where why how all any each
    both few more most other some own same too very just also only again further once here
    agent assistant user customer tells tell told telling says say said let lets inform informs
    informed mention mentions mentioned communicate communicates communicated confirm confirms
    make makes sure properly correctly""".split()
)
_NEGATIONS = frozenset(
    """not no never none nothing cannot cant can't won't wont don't dont doesn't doesnt didn't didnt
    isn't isnt aren't arent unable refuse refuses refused decline declines declined deny denies
    denied without""".split()
)
_WORD = re.compile(r"\$?\d+(?:\.\d+)?%?|[a-z]+(?:'[a-z]+)?")
_NUMBER_COMMA = re.compile(r"(?<=\d),(?=\d{3}\b)")


def _words(text: str) -> list[str]:
    return _WORD.findall(_NUMBER_COMMA.sub("", text.lower()))


def _is_number(word: str) -> bool:
    return word[:1].isdigit() or word[:1] == "$"


def _normalise_number(word: str) -> str:
    word = word.lstrip("$").rstrip("%")
    if "." in word:
        word = word.rstrip("0").rstrip(".")
    return word


@dataclass(frozen=True)
class KeyTerms:
    """Numbers and word stems of a text, and whether it holds a negation: an assertion's terms to
    look for, or an index of what the agent said."""

    numbers: frozenset[str]
    stems: frozenset[str]
    negated: bool


def key_terms(assertion: str) -> KeyTerms:
    words = _words(assertion)
    negated = any(w in _NEGATIONS for w in words)
    numbers = frozenset(_normalise_number(w) for w in words if _is_number(w))
    stems = frozenset(
        w[:STEM_LENGTH] for w in words
        if not _is_number(w) and w not in _STOP_WORDS and w not in _NEGATIONS and len(w) > 1
    )
    return KeyTerms(numbers, stems, negated)


def _index(text: str) -> KeyTerms:
    """Every number and stem of the agent's text (stop words included: an index, not a query)."""
    words = _words(text)
    return KeyTerms(
        numbers=frozenset(_normalise_number(w) for w in words if _is_number(w)),
        stems=frozenset(w[:STEM_LENGTH] for w in words if not _is_number(w)),
        negated=any(w in _NEGATIONS for w in words),
    )


def _coverage(terms: KeyTerms, index: KeyTerms) -> tuple[bool, float, list[str]]:
    """(all numbers present, share of stems present, missing terms)."""
    missing_numbers = sorted(terms.numbers - index.numbers)
    missing_stems = sorted(terms.stems - index.stems)
    share = 1.0 if not terms.stems else 1 - len(missing_stems) / len(terms.stems)
    return not missing_numbers, share, missing_numbers + missing_stems


def _covers(terms: KeyTerms, index: KeyTerms) -> bool:
    numbers_ok, share, _ = _coverage(terms, index)
    return numbers_ok and share >= MIN_OVERLAP


def assess_assertion(assertion: str, agent_texts: Iterable[str]) -> tuple[bool, str]:
    """Decide one natural-language assertion from the agent's messages: (met, reason)."""
    texts = [t for t in agent_texts if t and t.strip()]
    terms = key_terms(assertion)
    if not terms.numbers and not terms.stems:
        return True, "assertion has no key terms to check"
    if terms.negated:
        covering = [_index(t) for t in texts if _covers(terms, _index(t))]
        if not covering:
            return True, "the agent never did or said what the assertion rules out"
        if all(i.negated for i in covering):
            return True, "the agent addressed it and declined (negation present)"
        return False, "the agent said what the assertion rules out, without a negation"
    whole = _index("\n".join(texts))
    numbers_ok, share, missing = _coverage(terms, whole)
    met = numbers_ok and share >= MIN_OVERLAP
    total = len(terms.numbers) + len(terms.stems)
    reason = f"{total - len(missing)}/{total} key terms found in the agent's messages"
    if missing:
        reason += f"; missing: {', '.join(missing[:8])}"
    return met, reason


# -- conversation helpers (plain dicts or agentcl Messages) -----------------------------------
def _get(message: Any, key: str, default: Any = None) -> Any:
    if isinstance(message, Mapping):
        return message.get(key, default)
    return getattr(message, key, default)


def agent_texts(messages: Iterable[Any]) -> list[str]:
    """The text of every assistant message (tool calls and tool results left out)."""
    return [_get(m, "content") or "" for m in messages if _get(m, "role") == "assistant" and _get(m, "content")]


def assess_assertions(assertions: list[str], messages: Iterable[Any]) -> list[tuple[bool, str]]:
    texts = agent_texts(messages)
    return [assess_assertion(a, texts) for a in assertions]


def quality_score(messages: Iterable[Any]) -> tuple[float, str]:
    """A deterministic 0-1 quality score with a short reason (see the module docstring)."""
    messages = list(messages)
    tool_results = [m for m in messages if _get(m, "role") == "tool"]
    failed = sum(1 for m in tool_results if _get(m, "error") or str(_get(m, "content") or "").startswith("Error"))
    tool_ok = 1.0 if not tool_results else 1 - failed / len(tool_results)

    user_turns = answered = 0
    for i, m in enumerate(messages):
        if _get(m, "role") != "user" or not _get(m, "content"):
            continue
        user_turns += 1
        for later in messages[i + 1:]:
            if _get(later, "role") == "user":
                break
            if _get(later, "role") == "assistant" and _get(later, "content"):
                answered += 1
                break
    # The last user turn often ends the conversation (a stop token): do not require an answer.
    answer_rate = 1.0 if user_turns <= 1 else min(1.0, answered / (user_turns - 1))

    texts = [t.strip() for t in agent_texts(messages)]
    unique_rate = 1.0 if not texts else len(set(texts)) / len(texts)
    if not texts:
        return 0.0, "the agent never wrote to the user"
    score = (tool_ok + answer_rate + unique_rate) / 3
    reason = (f"tool calls ok {tool_ok:.2f}, user turns answered {answer_rate:.2f}, "
              f"distinct agent messages {unique_rate:.2f}")
    return round(score, 4), reason
