"""A step's words for the routine it stands in (docs/domain.md, rules 5 and 6).

The library's instructions say only what holds wherever a step is. What depends on the
rest of the routine is said here, when the email is put together: the ear step is an
alternative to the hand or foot steps the routine actually has (and to nothing when it
has none), the feel-good step is "a good way to end" only when it is the last one, and
a step worked on one side says which side rather than "which side first".
"""

from __future__ import annotations

from collections.abc import Sequence

from .library import EAR, FEET, HANDS, map_group
from .models import RoutineStep, SideOrder, StepKind

FEEL_GOOD_AREA = "brain"  # docs/domain.md, rule 5: the tips of the toes and fingers
ENDING = "It makes a good way to end the routine."
LIMBS = {HANDS: "hands", FEET: "feet"}


def _group(step: RoutineStep):
    return map_group(step.zone.reflex_map) if step.zone is not None else None


def instruction_in_routine(step: RoutineStep, steps: Sequence[RoutineStep]) -> str:
    """`step`'s instruction as the client reads it among `steps` (the routine, in order)."""
    reflex = [s for s in steps if s.kind == StepKind.REFLEX]
    if step.kind != StepKind.REFLEX or step.zone is None:
        return step.instruction
    if _group(step) == EAR:
        # docs/domain.md, rule 6: the ear is an alternative to the hands or feet this routine uses.
        limbs = [LIMBS[g] for g in (HANDS, FEET) if any(_group(s) == g for s in reflex)]
        if limbs:
            return f"An alternative when your {' or '.join(limbs)} are not convenient. {step.instruction}"
    elif step.zone.body_area == FEEL_GOOD_AREA and len(reflex) > 1 and reflex[-1] is step:
        return f"{step.instruction} {ENDING}"
    return step.instruction


def sides_heading(step: RoutineStep) -> str:
    """The label before the side words: there is a first side only when both are worked."""
    return "Which side first" if step.side_order == SideOrder.RIGHT_THEN_LEFT else "Which side"
