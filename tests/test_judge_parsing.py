"""Reading judge answers: clean, fenced, wrapped in prose, truncated or otherwise broken JSON."""

from __future__ import annotations

import pytest

from agentcl.rewards.judge.parsing import (
    JudgeParseError,
    extract_json,
    normalise_score,
    parse_assertion_verdicts,
    parse_quality_score,
)

ASSERTIONS = ["Agent should tell the user the refund is $54.04.", "Agent should not offer compensation."]


@pytest.mark.parametrize("text", [
    '{"results": [{"assertion": "a", "met": true, "reason": "said it"}, {"met": false, "reason": "no"}]}',
    '```json\n{"results": [{"met": true, "reason": "said it"}, {"met": false, "reason": "no"}]}\n```',
    'Here is my verdict:\n```\n[{"met": "yes", "reason": "said it"}, {"met": "no", "reason": "no"}]\n```\nDone.',
    'Sure. {"results": [{"met": true, "reason": "said it"}, {"met": false, "reason": "no"},]} Hope this helps.',
    "{'results': [{'met': True, 'reason': 'said it'}, {'met': False, 'reason': 'no'}]}",
    # truncated mid-string: the brackets and the string are closed
    '{"results": [{"met": true, "reason": "said it"}, {"met": false, "reason": "no',
])
def test_assertion_verdicts_survive_common_breakage(text):
    verdicts = parse_assertion_verdicts(text, ASSERTIONS)
    assert [met for met, _ in verdicts] == [True, False]
    assert verdicts[0][1] == "said it"


def test_verdicts_are_matched_by_echoed_assertion_text_before_position():
    text = ('{"results": [{"assertion": "%s", "met": false}, {"assertion": "%s", "met": true}]}'
            % (ASSERTIONS[1], ASSERTIONS[0]))
    assert parse_assertion_verdicts(text, ASSERTIONS) == [(True, ""), (False, "")]


def test_alternative_keys_and_a_single_verdict_object():
    assert parse_assertion_verdicts('{"verdicts": [{"satisfied": 1, "explanation": "ok"}]}', ["x"]) == [(True, "ok")]
    assert parse_assertion_verdicts('{"met": false, "reasoning": "never said"}', ["x"]) == [(False, "never said")]


def test_met_pairs_are_read_when_no_json_survives():
    text = 'assertion 1 -> "met": true; assertion 2 -> "met": false, and then the model rambles {{{'
    assert [m for m, _ in parse_assertion_verdicts(text, ASSERTIONS)] == [True, False]


@pytest.mark.parametrize("text", ["", "I cannot judge this.", '{"results": [{"met": true}]}',
                                  '{"results": [{"met": "maybe"}, {"met": "perhaps"}]}'])
def test_unusable_answers_raise_a_parse_error(text):
    with pytest.raises(JudgeParseError):
        parse_assertion_verdicts(text, ASSERTIONS)


@pytest.mark.parametrize("text,score", [
    ('{"score": 0.7, "reason": "fine"}', 0.7),
    ('```json\n{"score": 8, "reason": "good"}\n```', 0.8),  # a 0-10 scale is read as such
    ('{"rating": "0.9"}', 0.9),
    ("Score: 7/10 because the agent was clear.", 0.7),
    ("0.25", 0.25),
    ('{"score": 1.7e1}', 0.17),
    ('{"score": -3}', 0.0),
])
def test_quality_scores_are_read_and_scaled_to_unit_interval(text, score):
    assert parse_quality_score(text)[0] == pytest.approx(score)


def test_quality_without_a_number_raises():
    with pytest.raises(JudgeParseError):
        parse_quality_score("The agent did well overall.")


def test_extract_json_prefers_the_outermost_value_and_rejects_non_json():
    assert extract_json('x {"a": {"b": [1, 2,]}} y') == {"a": {"b": [1, 2]}}
    with pytest.raises(JudgeParseError):
        extract_json("no braces at all")
    assert normalise_score(42, 50) == pytest.approx(0.84)
