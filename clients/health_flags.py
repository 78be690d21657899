"""The health flags of the intake: one spec per flag, the single source of what a flag means.

`HealthFlag` holds what the database stores (the value and its label); `FLAG_SPECS`
holds everything else: its tier (which box of the intake it sits in), what the
practitioner reads wherever they act on the client, whether it asks for a physician's
referral or clearance, the advice every routine email to the client carries, which
groups of reflex maps it rules out and, when that is the feet, why the home routine
uses the hands. Models, the intake form, the warnings, the routine proposal and the
routine email all read the client's specs (`Client.flag_specs`); no module or template
names a flag to decide what to do, and nothing falls back to a default for a flag
without a spec.

The letter asking a client's GP for permission names each flag of the tier "needs medical
permission" in its `gp_wording` (permission/letter.py).

Adding a health flag: a member of `HealthFlag`, its `FlagSpec` below, and a migration
for the new choice. tests/test_specs.py fails, naming the member, until every member has
a complete spec (`spec_problems()`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models


class MapGroup(enum.StrEnum):
    """The groups of maps a self-reflexology step works on (routines/library.py); a health
    flag rules out a whole group. Defined here, not in sessions/reflex_maps.py, because
    clients sits below sessions in the app graph (tests/test_architecture.py)."""

    HANDS = "hands"
    FEET = "feet"
    EAR = "ear"


class FlagTier(models.TextChoices):
    """Which box of the intake a flag sits in, by what the practitioner must do about it.

    The order is the intake's: the strictest first. A flag sits in the tier its warning
    describes: a flag whose warning says to leave a whole area alone is "Do not work this
    area", not "Work locally around" (the practitioner works elsewhere, no doctor needed)."""

    MEDICAL = "medical", "Needs medical permission"
    AVOID = "avoid", "Do not work this area"
    LOCAL = "local", "Work locally around"


class HealthFlag(models.TextChoices):
    """What a reflexology intake asks about; the order is the order of the intake's boxes."""

    SERIOUS_BACK_INJURY = "serious_back_injury", "Serious back injury"
    PREGNANCY = "pregnancy", "Pregnancy"
    THROMBOSIS = "thrombosis", "Deep vein thrombosis or blood clots"
    HEART_CONDITION = "heart_condition", "Heart condition or pacemaker"
    EPILEPSY = "epilepsy", "Epilepsy"
    CANCER_TREATMENT = "cancer_treatment", "Cancer under treatment"
    RECENT_SURGERY = "recent_surgery", "Recent surgery (last 3 months)"
    DIABETES = "diabetes", "Diabetes"
    BLOOD_PRESSURE = "blood_pressure", "High or low blood pressure"
    FEET_INJURED = "feet_injured", "Feet injured or infected"
    HANDS_INJURED = "hands_injured", "Hands injured or infected"
    VARICOSE_VEINS = "varicose_veins", "Varicose veins"
    ARTHRITIS = "arthritis", "Arthritis or gout in feet or hands"
    SKIN_CONDITION = "skin_condition", "Skin condition (eczema, psoriasis)"
    SWELLING = "swelling", "Swelling or oedema in feet or legs"


TIER_BADGES = {
    FlagTier.MEDICAL: ("text-bg-danger", "✚"),
    FlagTier.AVOID: ("text-bg-danger-subtle border border-danger text-danger-emphasis", "⊘"),
    FlagTier.LOCAL: ("text-bg-warning", "◐"),
}


@dataclass(frozen=True)
class FlagSpec:
    flag: HealthFlag
    tier: FlagTier
    # What the practitioner reads wherever they act on the client (the health warnings).
    treatment: str
    # docs/domain.md, rule 9: treat only with a physician's referral or clearance on record; warned until there is one.
    asks_clearance: bool = False
    # docs/domain.md, rule 9: said in every routine email to the client, read from the flags when the email is built.
    email_advice: str = ""
    # Groups of maps not to work while the flag is on.
    rules_out: tuple[MapGroup, ...] = ()
    # docs/domain.md, rule 1: when the flag rules out the feet, why the routine uses the hands (email words).
    hands_reason: str = ""
    # The question behind the flag on the client's own intake page, in plain client words (a yes/no box).
    client_question: str = ""
    # docs/domain.md, rule 16: the condition in plain words for the letter asking the client's GP for
    # permission ("a serious back injury"); every flag of the tier "needs medical permission" has one.
    gp_wording: str = ""

    @property
    def value(self) -> str:
        return self.flag.value

    @property
    def label(self) -> str:
        return self.flag.label

    @property
    def is_medical(self) -> bool:
        return self.tier == FlagTier.MEDICAL

    @property
    def badge(self) -> tuple[str, str]:
        """The badge's colour class and its symbol, so the tier reads without colour too."""
        return TIER_BADGES[self.tier]

    @property
    def rules_out_feet(self) -> bool:
        return MapGroup.FEET in self.rules_out

    @property
    def rules_out_hands(self) -> bool:
        return MapGroup.HANDS in self.rules_out


_DOCTOR_FIRST = "treat only with the client's doctor's agreement."

FLAG_SPECS: dict[HealthFlag, FlagSpec] = {
    spec.flag: spec
    for spec in (
        FlagSpec(
            HealthFlag.SERIOUS_BACK_INJURY,
            FlagTier.MEDICAL,
            treatment=(
                "Serious back injury: treat only with a physician's referral or clearance on record; "
                "home-routine emails advise the client to consult their physician."
            ),
            asks_clearance=True,
            gp_wording="a serious back injury",
            email_advice=(
                "Because you have told us about a serious back injury, please check with your doctor that these "
                "exercises are right for you, and stop and ask them if anything feels worse."
            ),
            client_question="Have you had a serious back injury, such as a slipped disc or a broken bone in your back?",
        ),
        FlagSpec(
            HealthFlag.PREGNANCY,
            FlagTier.MEDICAL,
            treatment="Pregnancy: treat only with the midwife's or doctor's agreement; use light pressure.",
            client_question="Are you pregnant, or might you be?",
            gp_wording="pregnancy",
        ),
        FlagSpec(
            HealthFlag.THROMBOSIS,
            FlagTier.MEDICAL,
            treatment=f"Deep vein thrombosis or blood clots: {_DOCTOR_FIRST}",
            client_question="Have you ever had a blood clot or a deep vein thrombosis (DVT)?",
            gp_wording="deep vein thrombosis or blood clots",
        ),
        FlagSpec(
            HealthFlag.HEART_CONDITION,
            FlagTier.MEDICAL,
            treatment=f"Heart condition or pacemaker: {_DOCTOR_FIRST}",
            client_question="Do you have a heart condition or a pacemaker?",
            gp_wording="a heart condition or a pacemaker",
        ),
        FlagSpec(
            HealthFlag.EPILEPSY,
            FlagTier.MEDICAL,
            treatment=f"Epilepsy: {_DOCTOR_FIRST}",
            client_question="Do you have epilepsy?",
            gp_wording="epilepsy",
        ),
        FlagSpec(
            HealthFlag.CANCER_TREATMENT,
            FlagTier.MEDICAL,
            treatment=f"Cancer under treatment: {_DOCTOR_FIRST}",
            client_question="Are you having treatment for cancer at the moment?",
            gp_wording="cancer, currently under treatment",
        ),
        FlagSpec(
            HealthFlag.RECENT_SURGERY,
            FlagTier.MEDICAL,
            treatment=f"Recent surgery (last 3 months): {_DOCTOR_FIRST}",
            client_question="Have you had an operation in the last three months?",
            gp_wording="surgery within the last three months",
        ),
        FlagSpec(
            HealthFlag.DIABETES,
            FlagTier.MEDICAL,
            treatment=f"Diabetes: {_DOCTOR_FIRST}",
            client_question="Do you have diabetes?",
            gp_wording="diabetes",
        ),
        FlagSpec(
            HealthFlag.BLOOD_PRESSURE,
            FlagTier.MEDICAL,
            treatment=f"High or low blood pressure: {_DOCTOR_FIRST}",
            client_question="Do you have high or low blood pressure?",
            gp_wording="high or low blood pressure",
        ),
        FlagSpec(
            HealthFlag.FEET_INJURED,
            FlagTier.AVOID,
            treatment="Feet injured or infected: do not work the feet; use hand reflexology instead.",
            rules_out=(MapGroup.FEET,),
            hands_reason=(
                "Your feet need a rest at the moment, so this routine uses the reflexes on your hands instead: "
                "they match the same parts of the body as the ones on your feet."
            ),
            client_question="Are your feet injured or infected at the moment (a cut, a sprain, a verruca)?",
        ),
        FlagSpec(
            HealthFlag.HANDS_INJURED,
            FlagTier.AVOID,
            treatment="Hands injured or infected: avoid the hands; work the feet or ears.",
            rules_out=(MapGroup.HANDS,),
            client_question="Are your hands injured or infected at the moment (a cut, a sprain, an infection)?",
        ),
        FlagSpec(
            HealthFlag.VARICOSE_VEINS,
            FlagTier.LOCAL,
            treatment="Varicose veins: no pressure on the veins; work gently around them.",
            client_question="Do you have varicose veins?",
        ),
        FlagSpec(
            HealthFlag.ARTHRITIS,
            FlagTier.LOCAL,
            treatment="Arthritis or gout in feet or hands: go gently around painful or swollen joints.",
            client_question="Do you have arthritis or gout in your feet or hands?",
        ),
        FlagSpec(
            HealthFlag.SKIN_CONDITION,
            FlagTier.LOCAL,
            treatment="Skin condition (eczema, psoriasis): avoid broken or sore skin; work around it.",
            client_question="Do you have a skin condition such as eczema or psoriasis on your feet or hands?",
        ),
        FlagSpec(
            HealthFlag.SWELLING,
            FlagTier.LOCAL,
            treatment="Swelling or oedema in feet or legs: use light pressure and go gently around the swelling.",
            client_question="Do your feet, ankles or legs swell?",
        ),
    )
}


def flag_spec(flag: str) -> FlagSpec:
    """The spec of a stored flag value; an unknown value or a member without a spec raises."""
    return FLAG_SPECS[HealthFlag(flag)]


def flags_in(tier: FlagTier) -> list[FlagSpec]:
    """The flags of one tier, in the intake's order."""
    return [spec for flag in HealthFlag if (spec := FLAG_SPECS[flag]).tier == tier]


def spec_problems(members: Iterable[HealthFlag] = HealthFlag, specs: dict | None = None) -> list[str]:
    """What is missing or inconsistent in the flag specs, in words; empty when all is well."""
    specs = FLAG_SPECS if specs is None else specs
    problems = [
        f"Health flag {m.value!r} has no FlagSpec in clients/health_flags.py." for m in members if m not in specs
    ]
    for spec in specs.values():
        # The warning list shows the treatment text alone, so it names the flag itself.
        if not spec.treatment.startswith(f"{spec.label}:"):
            problems.append(f"The treatment text of {spec.value!r} should start with its label, {spec.label!r}.")
        if not spec.client_question.strip():
            problems.append(f"Health flag {spec.value!r} has no client_question for the client's intake page.")
        # "Do not work this area" rules a group of maps out; "Work locally around" never does.
        if spec.tier == FlagTier.AVOID and not spec.rules_out:
            problems.append(f"Health flag {spec.value!r} is in the tier {spec.tier.label!r} but rules out no maps.")
        if spec.tier == FlagTier.LOCAL and spec.rules_out:
            problems.append(
                f"Health flag {spec.value!r} is in the tier {spec.tier.label!r} but rules out a group of maps."
            )
        if spec.rules_out_feet and not spec.hands_reason:
            problems.append(f"Health flag {spec.value!r} rules out the feet but gives no hands reason (rule 1).")
        if spec.is_medical and not spec.gp_wording:
            problems.append(f"Health flag {spec.value!r} needs medical permission but has no GP wording (rule 16).")
    return problems
