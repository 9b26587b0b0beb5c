"""The offline judge model: answers this project's judge prompts with the heuristic judge.

The local relay (agentcl.relay) routes chat requests whose model name starts with "judge" to
`answer`, so the LLM judges, the dispatcher and the benchmark run over real HTTP with no model.
"""

from __future__ import annotations

import json
from typing import Any

from .heuristic import assess_assertions, quality_score
from .prompts import read_prompt


def answer(messages: list[dict[str, Any]]) -> str:
    """The JSON text a judge model would return for one of our judge prompts.

    Raises ValueError for messages that are not a judge prompt (the relay answers 400 then).
    """
    kind, conversation, assertions = read_prompt(messages)
    if kind == "assertions":
        verdicts = assess_assertions(assertions, conversation)
        results = [{"assertion": a, "met": met, "reason": reason}
                   for a, (met, reason) in zip(assertions, verdicts)]
        return json.dumps({"results": results})
    score, reason = quality_score(conversation)
    return json.dumps({"score": score, "reason": reason})
