"""The shuffled-reward control: same rewards per step, none of them tied to the conversation that earned it."""

from __future__ import annotations

import asyncio
import statistics

import pytest

from agentcl.training.control import shuffled_reward_fn


def group_advantages(rewards: list[float], group: int) -> list[float]:
    """GRPO's group-relative advantage (reward minus its group's mean, over the group's std), as TRL computes it."""
    out = []
    for g in range(0, len(rewards), group):
        chunk = rewards[g:g + group]
        mean, std = statistics.fmean(chunk), statistics.pstdev(chunk)
        out.extend((r - mean) / (std + 1e-4) for r in chunk)
    return out


def test_shuffle_keeps_the_rewards_and_breaks_their_link_to_the_conversations():
    # 4 groups of 4 conversations; the agent's behaviour ("skill") decides the real reward
    skill = [1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1]
    real = lambda prompts=None, completions=None, skill=(): [float(s) for s in skill]  # noqa: E731

    async def real_async(**kwargs):
        return real(**kwargs)

    assert shuffled_reward_fn(real_async).__name__ == "real_async"
    control = shuffled_reward_fn(real, seed=3)
    real_adv = group_advantages(real(skill=skill), 4)
    sums = [0.0] * len(skill)
    steps = 2000
    loop = asyncio.new_event_loop()
    for _ in range(steps):
        shuffled = loop.run_until_complete(control(prompts=None, completions=None, skill=skill))
        assert sorted(shuffled) == sorted(real(skill=skill))  # the same reward distribution per step
        for i, a in enumerate(group_advantages(shuffled, 4)):
            sums[i] += a
    loop.close()
    mean_adv = [s / steps for s in sums]
    # every conversation's advantage averages to zero under the control, whatever it did ...
    assert max(abs(a) for a in mean_adv) < 0.08
    # ... while in the real arm it follows the behaviour (+ for the skilled, - for the others)
    assert all((a > 0.5) if s else (a < -0.5) for a, s in zip(real_adv, skill) if a != 0)
    # and each group's advantages still sum to zero in both arms
    for g in range(0, 16, 4):
        assert sum(real_adv[g:g + 4]) == pytest.approx(0, abs=1e-9)


def test_shuffle_is_seeded():
    values = lambda **kw: list(range(10))  # noqa: E731
    a = [asyncio.run(shuffled_reward_fn(values, seed=7)()) for _ in range(1)]
    b = [asyncio.run(shuffled_reward_fn(values, seed=7)()) for _ in range(1)]
    assert a == b and a[0] != list(range(10))
