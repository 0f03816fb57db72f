"""The swap state machine: allowed transitions only, terminal states final."""

from __future__ import annotations

import pytest

from bridge.domain.swap import ALLOWED, TERMINAL, SwapState, TransitionRefused, check_transition


def test_terminal_states_have_no_way_out() -> None:
    assert all(state not in ALLOWED for state in TERMINAL)


def test_every_non_terminal_state_can_end() -> None:
    for state in SwapState:
        if state in TERMINAL:
            continue
        seen, frontier = set(), {state}
        while frontier:
            current = frontier.pop()
            seen.add(current)
            frontier |= set(ALLOWED.get(current, ())) - seen
        assert seen & TERMINAL, f"{state} can never finish"


@pytest.mark.parametrize(("current", "wanted"), [
    (SwapState.PROPOSED, SwapState.LOCKING_A),
    (SwapState.LOCKED_B, SwapState.SETTLED),
    (SwapState.SETTLED, SwapState.REFUNDING),
    (SwapState.CANCELLED, SwapState.ACCEPTED),
    (SwapState.LOCKING_A, SwapState.CANCELLED),
])
def test_forbidden_transitions_are_refused(current: SwapState, wanted: SwapState) -> None:
    with pytest.raises(TransitionRefused):
        check_transition("0xabc", current, wanted)


def test_claiming_a_can_only_settle_or_fail() -> None:
    assert ALLOWED[SwapState.CLAIMING_A] == {SwapState.SETTLED, SwapState.FAILED}
