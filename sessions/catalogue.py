"""The standard reflex-zone catalogue, and installing it for a clinic.

Every clinic gets its own copy (the data migration for existing clinics, a post_save
signal for new ones), so an owner can rename, move or switch off a zone without
touching any other clinic. Installing is idempotent: it adds the codes a clinic does
not have yet and never overwrites a zone the owner has edited.

Zone codes start with their map's `code_prefix` (sessions/reflex_maps.py). Positions
are in the chart's 0-100 units for the RIGHT foot / hand / ear, as drawn in
`sessions/chart_shapes.py`: feet and hands seen from above with the big toe / thumb
side on the left, except the palm, which is seen as you look at your own palm (thumb
outward, so on the right); the ear with the rim on the left and the face on the right.
`body_area` is the same slug on every map, so a routine can swap the foot zone of an
area for the hand zone of the same area.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.db import IntegrityError, transaction

from .reflex_maps import ReflexMap, map_spec


@dataclass(frozen=True)
class StandardZone:
    code: str
    name: str
    reflex_map: str
    body_area: str
    x: float
    y: float
    rx: float
    ry: float
    description: str
    angle: float = 0
    sides: str = "both"
    sort_order: int = 0


def _zones(reflex_map: ReflexMap, rows: list[tuple]) -> list[StandardZone]:
    prefix = map_spec(reflex_map).code_prefix
    out = []
    for i, row in enumerate(rows, start=1):
        slug, name, body_area, geometry, description, *rest = row
        x, y, rx, ry, *angle = geometry
        out.append(
            StandardZone(
                code=f"{prefix}-{slug}",
                name=name,
                reflex_map=reflex_map,
                body_area=body_area,
                x=x,
                y=y,
                rx=rx,
                ry=ry,
                angle=angle[0] if angle else 0,
                description=description,
                sides=rest[0] if rest else "both",
                sort_order=i * 10,
            )
        )
    return out


# fmt: off
_FOOT_SOLE = [
    ("brain", "Brain (toe tips)", "brain", (32, 9, 5.5, 4),
     "The tips of all the toes, fullest on the pad of the big toe. Worked gently to help the client relax "
     "and feel good."),
    ("sinuses", "Sinuses", "sinuses", (58.5, 15.5, 14, 2.6, 21),
     "The pads and tips of the four smaller toes."),
    ("neck", "Neck", "neck", (32, 22, 6.5, 2.2),
     "The base of the big toe, around its 'neck' where it joins the foot."),
    ("eyes", "Eyes", "eyes", (50.5, 24, 5.2, 2),
     "Just below the second and third toes, where they join the ball of the foot."),
    ("ears", "Ears", "ears", (67.5, 26.5, 5.2, 2, 12),
     "Just below the fourth and little toes, where they join the ball of the foot."),
    ("thyroid", "Thyroid", "thyroid", (30.5, 31, 5.5, 3.2),
     "The ball of the foot directly beneath the big toe."),
    ("shoulder", "Shoulder", "shoulder", (74.5, 32, 3.2, 4.2),
     "The outer edge of the ball of the foot, just below the little toe. Each shoulder is on the foot of "
     "the same side."),
    ("lungs", "Lungs and chest", "lungs", (55, 32, 12, 4.2),
     "Across the ball of the foot below the second to fourth toes."),
    ("heart", "Heart", "heart", (40.5, 34.5, 3.6, 2.8),
     "On the left foot, on the ball between the big toe and the second toe.", "left"),
    ("diaphragm", "Diaphragm", "diaphragm", (51, 40.3, 24, 1.5),
     "The line along the lower edge of the ball of the foot, from the inner to the outer edge."),
    ("solar-plexus", "Solar plexus", "solar_plexus", (47, 43.5, 3, 2.6),
     "Just below the ball of the foot, in line with the second and third toes: press it to help the "
     "client settle and breathe out."),
    ("stomach", "Stomach", "stomach", (39, 47, 5.5, 3.5),
     "The upper arch just below the ball, towards the inner edge; larger on the left foot."),
    ("liver", "Liver", "liver", (62, 47, 10, 4.5),
     "On the right foot, a broad area of the upper arch towards the outer edge, below the diaphragm line.",
     "right"),
    ("spleen", "Spleen", "spleen", (63, 47, 6, 3.5),
     "On the left foot, the upper arch towards the outer edge, below the diaphragm line.", "left"),
    ("gallbladder", "Gallbladder", "gallbladder", (64.5, 50.5, 2.4, 2.4),
     "On the right foot, a small point inside the liver area, in line with the fourth toe.", "right"),
    ("pancreas", "Pancreas", "pancreas", (42.5, 52, 6, 2),
     "Across the upper arch just below the stomach area, towards the inner edge."),
    ("adrenals", "Adrenal glands", "adrenals", (51.5, 49.5, 2, 1.8),
     "A small point at the top of the kidney area, in the middle of the upper arch."),
    ("kidneys", "Kidneys", "kidneys", (52.5, 55, 3.4, 4),
     "The middle of the arch, in line with the second and third toes, at the waistline of the foot."),
    ("colon", "Large intestine", "colon", (53, 64.5, 15, 6.5),
     "A frame around the lower arch, from the outer edge of the right foot across to the inner edge of the "
     "left foot."),
    ("small-intestine", "Small intestine", "small_intestine", (52, 65, 8, 3.8),
     "The soft lower arch inside the frame of the large intestine, above the heel pad."),
    ("bladder", "Bladder", "bladder", (39, 72.5, 4.2, 3.2),
     "A soft, slightly puffy spot on the inner edge where the arch meets the heel."),
    ("spine", "Spine", "spine", (26.3, 44, 2.3, 14, -15),
     "Along the inner edge of the foot, from the base of the big toe to the waistline of the arch. Walk the "
     "thumb along the bony edge."),
    ("lower-back", "Lower back", "lower_back", (32.3, 67, 2.3, 8, -7),
     "The inner edge of the arch, from the waistline down to the start of the heel."),
    ("sacrum", "Sacrum and tailbone", "sacrum", (34.6, 84, 2.3, 6, -8),
     "The inner edge of the heel, where the spine line ends."),
    ("sciatic", "Sciatic nerve", "sciatic", (51, 85, 13, 1.8),
     "A band straight across the heel pad, about a third of the way up from the back of the heel."),
    ("knee", "Knee", "knee", (72.8, 63, 2.2, 4.5, 12),
     "The outer edge of the foot, about halfway between the little toe and the heel."),
    ("hip", "Hip", "hip", (70.5, 74, 2.2, 5, 8),
     "The outer edge of the foot in front of the heel, below the knee point."),
]

_FOOT_TOP = [
    ("lymphatics", "Upper lymphatics", "lymphatics", (51, 28.5, 21, 2, 4),
     "The webs between the toes on the top of the foot."),
    ("shoulder", "Shoulder", "shoulder", (73.5, 33.5, 3.2, 4),
     "The top of the foot just behind the little toe, matching the shoulder point on the sole."),
    ("upper-back", "Upper back", "upper_back", (52, 40, 14, 5.5),
     "Across the top of the foot behind the toes, between the long bones."),
    ("mid-back", "Middle back", "mid_back", (50.5, 52, 11.5, 5),
     "The middle of the top of the foot, in the grooves between the long bones."),
    ("lower-back", "Lower back", "lower_back", (50, 64, 9.5, 4.5),
     "The top of the foot just in front of the ankle crease."),
    ("spine", "Spine", "spine", (27, 51, 2.2, 18, -10),
     "The inner edge of the foot seen from above, from the big toe joint to the ankle."),
    ("lymphatics-groin", "Lymphatics (groin)", "lymphatics", (50, 82.5, 15, 2),
     "A band across the front of the ankle crease, from one ankle bone to the other."),
    ("sacrum", "Sacrum and pelvis", "sacrum", (33.5, 87, 3.5, 3.5),
     "Around the inner ankle bone."),
    ("hip", "Hip", "hip", (66.8, 89, 3.5, 3.5),
     "Around the outer ankle bone."),
]

_LOWER_LEG = [
    ("knee", "Knee", "knee", (50, 9, 6.5, 6),
     "Around the kneecap; a gentle circling touch only."),
    ("lower-back", "Lower back", "lower_back", (43.5, 70, 2.8, 10),
     "The inner side of the shinbone, about a hand's width up from the inner ankle bone."),
    ("sciatic-inner", "Sciatic nerve (inner leg)", "sciatic", (39.8, 68, 1.9, 11, -6),
     "Up the inner edge of the lower leg, behind the shinbone, from the ankle for about a hand's width."),
    ("sciatic-outer", "Sciatic nerve (outer leg)", "sciatic", (61.8, 68, 1.9, 11, 4),
     "Up the outer edge of the lower leg, from the outer ankle bone for about a hand's width."),
    ("lymphatics", "Lymphatics (ankle)", "lymphatics", (50, 91.5, 9, 1.6),
     "Across the front of the ankle where the foot begins."),
]

_HAND_PALM = [
    ("brain", "Brain (fingertips)", "brain", (86.2, 47.6, 3.8, 4.2, 30),
     "The tips of the thumb and all the fingers, fullest on the pad of the thumb. Worked gently to help "
     "the client relax and feel good."),
    ("sinuses", "Sinuses", "sinuses", (54.6, 11.5, 3.6, 4),
     "The pads of the four fingers; the chart marks the middle finger."),
    ("neck", "Neck", "neck", (80.3, 57.8, 4.2, 1.8, 30),
     "The crease at the base of the thumb."),
    ("thyroid", "Thyroid", "thyroid", (75, 66, 3.6, 3.2),
     "The upper part of the fleshy mound at the base of the thumb."),
    ("eyes", "Eyes", "eyes", (59.5, 48.5, 5, 1.8),
     "Just below the index and middle fingers, where they join the palm."),
    ("ears", "Ears", "ears", (39.5, 50.5, 5, 1.8, -4),
     "Just below the ring and little fingers, where they join the palm."),
    ("shoulder", "Shoulder", "shoulder", (33, 57, 3.2, 3.2),
     "On the palm just beneath the little finger, at the outer edge. The left shoulder is on the left hand, "
     "the right shoulder on the right hand; work both hands."),
    ("lungs", "Lungs and chest", "lungs", (50, 55, 11, 3.8),
     "The pad of the palm below the fingers."),
    ("heart", "Heart", "heart", (61, 58, 3.4, 2.6),
     "On the left hand, the upper palm below the middle and index fingers.", "left"),
    ("diaphragm", "Diaphragm", "diaphragm", (52, 61.8, 18, 1.3, -7),
     "A line across the palm below the finger pads, from the little-finger edge to the thumb."),
    ("solar-plexus", "Solar plexus", "solar_plexus", (54, 65.5, 3, 2.6),
     "The hollow in the middle of the palm: a calming point."),
    ("liver", "Liver", "liver", (39, 64, 7, 3.5),
     "On the right hand, the upper middle of the palm towards the little-finger side.", "right"),
    ("spleen", "Spleen", "spleen", (39, 64, 5, 3),
     "On the left hand, the upper middle of the palm towards the little-finger side.", "left"),
    ("gallbladder", "Gallbladder", "gallbladder", (41, 68, 2.2, 2.2),
     "On the right hand, a small point below the liver area, in line with the ring finger.", "right"),
    ("stomach", "Stomach", "stomach", (62, 68, 4.8, 3.6),
     "The middle of the palm on the thumb side, just inside the mound of the thumb."),
    ("pancreas", "Pancreas", "pancreas", (56, 72, 5, 1.8),
     "A band across the middle of the palm below the stomach area."),
    ("adrenals", "Adrenal glands", "adrenals", (50, 69, 1.8, 1.8),
     "A small point just above the kidney area in the centre of the palm."),
    ("kidneys", "Kidneys", "kidneys", (50, 74, 3, 3.8),
     "The centre of the palm, in line with the middle finger."),
    ("colon", "Large intestine", "colon", (47, 82, 12, 6),
     "A frame around the lower palm, above the wrist."),
    ("small-intestine", "Small intestine", "small_intestine", (47, 83, 6, 3.4),
     "The lower palm inside the frame of the large intestine."),
    ("bladder", "Bladder", "bladder", (61, 88, 3.4, 3),
     "The lower palm on the thumb side, just above the wrist."),
    ("spine", "Spine", "spine", (76.5, 78, 2.4, 9, 23),
     "Along the outside edge of the palm on the thumb side, from the base of the thumb down towards the "
     "wrist. Press with the thumb of the other hand, right hand first, then left."),
    ("lower-back", "Lower back", "lower_back", (70.5, 91, 2.3, 4.2, 35),
     "The lower end of the spine line on the thumb side, just above the wrist."),
    ("sciatic", "Sciatic nerve", "sciatic", (52, 97, 10, 1.6),
     "A band across the base of the palm at the wrist crease."),
    ("hip", "Hip", "hip", (31.3, 80, 2, 5, -10),
     "The outer edge of the palm on the little-finger side, about halfway to the wrist."),
]

_HAND_BACK = [
    ("shoulder", "Shoulder", "shoulder", (67, 57, 3.2, 3.2),
     "On the back of the hand just beneath the little finger, below the knuckle. Work both hands: each "
     "shoulder is on the hand of the same side."),
    ("lymphatics", "Upper lymphatics", "lymphatics", (50, 50.5, 16, 1.8),
     "The webs between the fingers on the back of the hand."),
    ("upper-back", "Upper back", "upper_back", (48, 60, 10, 4.5),
     "The back of the hand just behind the knuckles, between the long bones."),
    ("mid-back", "Middle back", "mid_back", (48, 71, 9, 4),
     "The middle of the back of the hand, in the grooves between the long bones."),
    ("lower-back", "Lower back", "lower_back", (49, 82, 8, 3.8),
     "The back of the hand just above the wrist."),
    ("hip", "Hip", "hip", (68.7, 80, 2, 5, 10),
     "The little-finger edge of the back of the hand, about halfway to the wrist."),
    ("lymphatics-groin", "Lymphatics (groin)", "lymphatics", (50, 95.5, 9, 1.6),
     "A band across the back of the wrist."),
]

_EAR = [
    ("brain", "Head and brain", "brain", (54, 75, 3, 1.8),
     "The small ridge above the earlobe, opposite the flap in front of the ear canal."),
    ("eyes", "Eyes", "eyes", (47.5, 88, 3, 3),
     "The middle of the earlobe."),
    ("neck", "Neck", "neck", (46.5, 67, 1.9, 3.6, -40),
     "The lower end of the curved inner ridge, just above the earlobe."),
    ("upper-back", "Upper back", "upper_back", (40.8, 54, 1.9, 5, -8),
     "The middle of the curved inner ridge of the ear."),
    ("lower-back", "Lower back", "lower_back", (40.8, 41.5, 1.9, 4, 14),
     "The upper part of the inner ridge, just below where it forks."),
    ("sacrum", "Sacrum and tailbone", "sacrum", (46.4, 37, 2.6, 1.6, -25),
     "The start of the lower branch where the inner ridge forks."),
    ("sciatic", "Sciatic nerve", "sciatic", (54, 34.5, 3.5, 1.5, -6),
     "Along the lower branch of the fork, towards the front of the ear."),
    ("hip", "Hip", "hip", (46.5, 25, 1.8, 2.8, 25),
     "The upper branch of the fork, a little way up."),
    ("knee", "Knee", "knee", (49.5, 18.5, 1.8, 2.5, 30),
     "The top of the upper branch of the fork."),
    ("calming", "Calming point", "calming", (55, 26, 2.2, 2.2),
     "The small hollow between the two branches of the fork: a point for calm and relaxation."),
    ("shoulder", "Shoulder", "shoulder", (35.5, 48, 2.2, 3.5, -8),
     "The groove between the outer rim and the inner ridge, halfway up the ear."),
    ("kidneys", "Kidneys", "kidneys", (56, 37.3, 2.6, 1.5),
     "The upper hollow of the bowl, just above the ridge that runs into it from the front."),
    ("stomach", "Stomach", "stomach", (52, 46.5, 2.3, 1.8),
     "Where the ridge from the front of the ear fades out in the bowl."),
    ("lungs", "Lungs and chest", "lungs", (54, 60, 4.5, 5),
     "The lower, deeper part of the bowl around the ear canal."),
    ("heart", "Heart", "heart", (57, 55.5, 2, 2),
     "The centre of the lower bowl."),
    ("adrenals", "Adrenal glands", "adrenals", (66, 60, 1.8, 3),
     "The lower edge of the small flap in front of the ear canal."),
]
# fmt: on

STANDARD_ZONES: list[StandardZone] = [
    *_zones(ReflexMap.FOOT_SOLE, _FOOT_SOLE),
    *_zones(ReflexMap.FOOT_TOP, _FOOT_TOP),
    *_zones(ReflexMap.LOWER_LEG, _LOWER_LEG),
    *_zones(ReflexMap.HAND_PALM, _HAND_PALM),
    *_zones(ReflexMap.HAND_BACK, _HAND_BACK),
    *_zones(ReflexMap.EAR, _EAR),
]


def install_zones(zone_model, clinic_id: int) -> int:
    """Create the catalogue zones `clinic_id` does not have yet; returns how many.

    Takes the model class so the data migration can pass its historical model: only
    the fields that model has are set, so this stays usable after later model changes.
    """
    existing = set(zone_model.objects.filter(clinic_id=clinic_id).values_list("code", flat=True))
    fields = {f.name for f in zone_model._meta.get_fields()}
    new = [
        zone_model(clinic_id=clinic_id, **{k: v for k, v in asdict(z).items() if k in fields})
        for z in STANDARD_ZONES
        if z.code not in existing
    ]
    zone_model.objects.bulk_create(new)
    return len(new)


def install_standard_zones(clinic) -> int:
    from .models import ReflexZone

    return install_zones(ReflexZone, clinic.pk)


class ZoneCodeTaken(Exception):
    """Another zone of the same clinic already has this code."""


def reflex_zone_save(*, zone) -> None:
    """Save an owner's new or edited zone; a clash on the clinic's code becomes ZoneCodeTaken.

    The form checks the code first; this covers two owners saving the same code at once.
    """
    try:
        with transaction.atomic():
            zone.save()
    except IntegrityError as exc:
        raise ZoneCodeTaken(zone.code) from exc
