"""The standard routine library, and installing it for a clinic.

Like the zone catalogue (sessions/catalogue.py), every clinic gets its own copy (a data
migration for existing clinics, a post_save signal for new ones), so an owner can reword
or switch off a step without touching another clinic. Installing only adds the codes a
clinic does not have yet and never overwrites a step the owner has edited.

A self-reflexology step works one body area on one group of maps: hands (palm and back
of the hand), feet (sole, top of the foot and lower leg) or the ear. Its zones are the
clinic's zones of that body area on those maps, so the email can show a picture of
where to press. Lifestyle tips have no zones.

Every text here is ours, written for clients: it speaks of comfort, relaxation and
keeping up the routine, never of curing or treating anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from sessions.reflex_maps import MapGroup, map_spec, maps_in

HANDS = MapGroup.HANDS
FEET = MapGroup.FEET
EAR = MapGroup.EAR

# Which reflex maps each group of steps covers, as the map specs say.
MAP_GROUPS: dict[MapGroup, tuple[str, ...]] = {group: maps_in(group) for group in MapGroup}


def map_group(reflex_map: str) -> MapGroup:
    return map_spec(reflex_map).group


@dataclass(frozen=True)
class StandardStep:
    code: str
    kind: str  # "reflex" or "lifestyle"
    title: str
    instruction: str
    body_area: str = ""
    group: MapGroup | None = None  # for reflex steps
    minutes: int = 2
    sort_order: int = 0
    # The zones the step shows, by body area on its group's maps unless listed here.
    zone_codes: tuple[str, ...] = ()


def _reflex(group: MapGroup, rows: list[tuple]) -> list[StandardStep]:
    out = []
    for i, (area, title, instruction, *rest) in enumerate(rows, start=1):
        out.append(
            StandardStep(
                code=f"{group}-{area.replace('_', '-')}",
                kind="reflex",
                title=title,
                instruction=instruction,
                body_area=area,
                group=group,
                minutes=rest[0] if rest else 2,
                sort_order=i * 10,
            )
        )
    return out


# fmt: off
_HANDS = [
    ("spine", "Spine, along the thumb side of the hand",
     "Rest the hand in your lap, palm up. With the thumb of your other hand, take small caterpillar steps "
     "along the outer edge of the palm on the thumb side, from the base of the thumb down to the wrist. "
     "Go down the edge three times, slowly."),
    ("lower_back", "Lower back, just above the wrist",
     "Find the end of the spine line, where the thumb side of the palm meets the wrist, and the area just "
     "above the wrist on the back of the hand. Press small circles into both spots, breathing out slowly."),
    ("upper_back", "Upper back, behind the knuckles",
     "Turn the hand over. In the grooves between the long bones just behind the knuckles, press gently "
     "with your thumb, one groove at a time, from the index finger side to the little finger side."),
    ("mid_back", "Middle back, the middle of the back of the hand",
     "On the back of the hand, halfway between knuckles and wrist, slide your thumb down each groove "
     "between the long bones. Keep the movement slow and even."),
    ("neck", "Neck, at the base of the thumb",
     "Circle the crease where the thumb joins the hand, pressing gently all the way round, as if you were "
     "loosening a ring."),
    ("sciatic", "Sciatic line, across the wrist crease",
     "Walk your thumb across the base of the palm along the wrist crease, from one side to the other and "
     "back again."),
    ("hip", "Hip, on the little-finger edge",
     "Pinch the little-finger edge of the hand, halfway between the little finger and the wrist, between "
     "thumb and index finger, and roll it gently for a few breaths."),
    ("brain", "Feel-good fingertips",
     "Press the pad of each fingertip and thumb tip in turn, holding each for a slow breath. Many people "
     "find this pleasant and relaxing.", 1),
    ("solar_plexus", "Solar plexus, the calming hollow of the palm",
     "Press your thumb into the hollow in the middle of the palm. Breathe in, and as you breathe out "
     "slowly, press a little deeper; let go as you breathe in. Repeat five times.", 1),
    ("diaphragm", "Diaphragm line, across the palm",
     "Slide your thumb along the line below the finger pads, from the little-finger side to the thumb, "
     "and back. Let your shoulders drop as you go.", 1),
]

_FEET = [
    ("spine", "Spine, along the inner edge of the foot",
     "Sit comfortably with one foot across your knee. With your thumb, take small caterpillar steps along "
     "the bony inner edge of the foot, from the big toe joint down to the heel. Go down the edge three "
     "times."),
    ("lower_back", "Lower back, the inner arch and above the ankle",
     "Press small circles along the inner edge of the arch down to the start of the heel. If the top of "
     "the foot just in front of the ankle crease, or the inner shin a hand's width above the ankle bone, "
     "was part of your session, circle those spots too."),
    ("upper_back", "Upper back, behind the toes on the top of the foot",
     "On the top of the foot, in the grooves between the long bones just behind the toes, press gently "
     "with your fingertips, one groove at a time."),
    ("mid_back", "Middle back, the middle of the top of the foot",
     "Slide your fingertips down the grooves between the long bones in the middle of the top of the foot, "
     "slowly and evenly."),
    ("shoulder", "Shoulder, below the little toe",
     "Press the outer edge of the ball of the foot just below the little toe, and the matching spot on "
     "the top of the foot. Each shoulder is on the foot of the same side."),
    ("neck", "Neck, around the base of the big toe",
     "Circle the base of the big toe where it joins the foot, pressing gently all the way round."),
    ("sciatic", "Sciatic line, across the heel and up the leg",
     "Walk your thumb across the heel pad, about a third of the way up from the back of the heel. Then "
     "slide your fingers gently up the inner and outer edges of the lower leg from the ankle for about a "
     "hand's width."),
    ("hip", "Hip, on the outer edge of the foot",
     "Press the outer edge of the foot in front of the heel, then circle gently around the outer ankle "
     "bone."),
    ("sacrum", "Sacrum and tailbone, the inner heel",
     "Circle the inner edge of the heel, where the spine line ends, and gently around the inner ankle "
     "bone."),
    ("brain", "Feel-good toe tips",
     "Press the pad of each toe in turn, starting with the big toe, holding each for a slow breath. Many "
     "people find this pleasant and relaxing.", 1),
    ("solar_plexus", "Solar plexus, just below the ball of the foot",
     "Press your thumb into the soft spot just below the ball of the foot, in line with the second and "
     "third toes. Breathe out slowly as you press; let go as you breathe in. Repeat five times.", 1),
    ("diaphragm", "Diaphragm line, below the ball of the foot",
     "Slide your thumb along the line where the ball of the foot ends, from the inner edge to the outer "
     "edge, and back.", 1),
]
# fmt: on

# docs/domain.md, rule 3: the shoulder reflex is worked on the palm and on the back of the hand, so the
# library has one step for each spot (each with its own picture).
_HAND_SHOULDERS = [
    StandardStep(
        code="hands-shoulder",
        kind="reflex",
        title="Shoulder, on the palm below the little finger",
        instruction=(
            "On the palm, find the spot just below the little finger at the outer edge and press it with the "
            "thumb of your other hand, in small circles. Your right shoulder is at the base of your right little "
            "finger and your left shoulder at the base of your left one, so give both hands the same care."
        ),
        body_area="shoulder",
        group=HANDS,
        sort_order=45,
        zone_codes=("palm-shoulder",),
    ),
    StandardStep(
        code="hands-shoulder-top",
        kind="reflex",
        title="Shoulder, on the back of the hand below the little finger",
        instruction=(
            "Turn the hand over and press the matching spot on the back of the hand, just below the knuckle of "
            "the little finger, in small circles. Do the right hand, then the left: each shoulder is on the hand "
            "of the same side."
        ),
        body_area="shoulder",
        group=HANDS,
        sort_order=46,
        zone_codes=("back-shoulder",),
    ),
]

_EAR_BACK = StandardStep(
    code="ear-back",
    kind="reflex",
    title="Back, on the inner ridge of the ear",
    instruction=(
        "With your index finger and thumb, gently "
        "press along the curved inner ridge of the ear, from just above the earlobe up to where the ridge "
        "forks. Work one ear, then the other."
    ),
    body_area="lower_back",
    group=EAR,
    minutes=2,
    sort_order=10,
    zone_codes=("ear-neck", "ear-upper-back", "ear-lower-back", "ear-sacrum"),
)

# fmt: off
_TIPS = [
    ("seated-support", "Support your lower back when you sit",
     "When you sit, tuck a small cushion or a rolled-up towel into the curve of your lower back, so the "
     "chair holds you up instead of your muscles."),
    ("pillow-alignment", "Keep your head in line with your spine",
     "In bed, choose a pillow that keeps your head level with your spine, neither tipped up nor hanging "
     "down."),
    ("firm-mattress", "Sleep on a firm mattress",
     "A firm mattress supports your back through the night. Mattresses soften with age: if yours is "
     "about ten years old or more, it may be time for a new one."),
    ("daily-walk", "Take a short walk every day",
     "A short walk each day, even ten minutes, keeps your back moving and is a pleasant habit to build "
     "around your routine."),
    ("stairs", "Take the stairs",
     "When you have the choice, take the stairs rather than the lift: a little movement, often, helps."),
    ("abdominals", "Strengthen your tummy muscles",
     "Strong tummy muscles help support your back. Ask your practitioner or a fitness professional for "
     "gentle exercises that suit you."),
    ("posture", "Mind your posture",
     "A few times a day, check how you are sitting or standing: shoulders relaxed, back upright, weight "
     "even on both feet."),
]
# fmt: on

LIFESTYLE_TIPS: list[StandardStep] = [
    StandardStep(code=f"tip-{slug}", kind="lifestyle", title=title, instruction=text, minutes=1, sort_order=i * 10)
    for i, (slug, title, text) in enumerate(_TIPS, start=1)
]

STANDARD_LIBRARY: list[StandardStep] = [
    *_reflex(HANDS, _HANDS),
    *_HAND_SHOULDERS,
    *_reflex(FEET, _FEET),
    _EAR_BACK,
    *LIFESTYLE_TIPS,
]


def install_library(step_model, zone_model, clinic_id: int) -> int:
    """Create the library steps `clinic_id` does not have yet, tied to its zones; returns how many.

    Takes the model classes so the data migration can pass its historical models.
    """
    existing = set(step_model.objects.filter(clinic_id=clinic_id).values_list("code", flat=True))
    wanted = [s for s in STANDARD_LIBRARY if s.code not in existing]
    if not wanted:
        return 0
    zones = list(zone_model.objects.filter(clinic_id=clinic_id).values_list("pk", "code", "reflex_map", "body_area"))
    created = step_model.objects.bulk_create(
        [
            step_model(
                clinic_id=clinic_id,
                code=s.code,
                kind=s.kind,
                title=s.title,
                instruction=s.instruction,
                body_area=s.body_area,
                minutes=s.minutes,
                sort_order=s.sort_order,
            )
            for s in wanted
        ]
    )
    through = step_model.zones.through
    links = []
    for standard, step in zip(wanted, created, strict=True):
        if standard.kind != "reflex":
            continue
        maps = MAP_GROUPS[standard.group]
        for pk, code, reflex_map, body_area in zones:
            if (
                (code in standard.zone_codes)
                if standard.zone_codes
                else (body_area == standard.body_area and reflex_map in maps)
            ):
                links.append(through(librarystep_id=step.pk, reflexzone_id=pk))
    through.objects.bulk_create(links)
    return len(created)


def install_standard_library(clinic) -> int:
    from sessions.models import ReflexZone

    from .models import LibraryStep

    return install_library(LibraryStep, ReflexZone, clinic.pk)


# docs/domain.md, rule 8: the practitioner's pressure, said so that the client can copy it at home.
PRESSURE_PHRASES: dict[int, str] = {
    1: "Press very lightly, no harder than you would touch a closed eyelid.",
    2: "Press lightly, about as hard as you would press a ripe peach without leaving a mark.",
    3: "Press with medium pressure, about as hard as squeezing a little water out of a wet sponge.",
    4: "Press firmly, about as hard as pressing a ripe avocado to see if it is ready.",
    5: "Press deeply, about as hard as kneading bread dough. Ease off at once if it hurts.",
}


def pressure_in_words(level: int | None) -> str:
    return PRESSURE_PHRASES.get(level or 0, "")
