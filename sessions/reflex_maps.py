"""The reflex maps: one spec per map, the single source every other module reads.

`ReflexMap` holds what the database stores (the value and its label); `MAP_SPECS`
holds everything else a map means: how a sentence names it, which limb the client
holds, which group of library steps works it, its drawing, the prefix of its standard
zone codes and, for a foot map, the hand map a hands client works instead (docs/domain.md,
rule 1). Models, forms, charts, the catalogue, the routine library and proposal and
the emails all ask `map_spec()`; nothing keeps its own table of maps, and nothing
falls back to a default for a map it does not know.

Adding a reflex map: a member of `ReflexMap`, its `MapSpec` below (with a drawing in
`chart_shapes.py`), and a migration for the new choice. tests/test_specs.py fails, naming
the member, until every member has a complete spec (`spec_problems()`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from django.db import models

from clients.health_flags import MapGroup  # defined with the flags: clients sits below sessions

from . import chart_shapes
from .chart_shapes import MapShape


class ReflexMap(models.TextChoices):
    FOOT_SOLE = "foot_sole", "Foot sole"
    FOOT_TOP = "foot_top", "Top of foot"
    LOWER_LEG = "lower_leg", "Lower leg"
    HAND_PALM = "hand_palm", "Hand palm"
    HAND_BACK = "hand_back", "Back of hand"
    EAR = "ear", "Ear"


@dataclass(frozen=True)
class MapSpec:
    map: ReflexMap
    short: str  # in a sentence: "Spine, right palm"
    limb: str  # what the client works, in the email: "Right hand first, then the left hand."
    group: MapGroup
    shape: MapShape  # the outline and its view box, for the right side
    code_prefix: str  # of the standard zones' codes: "sole-spine"
    # docs/domain.md, rule 1: the hand map a client who uses hands at home works instead of this foot map.
    hand_equivalent: ReflexMap | None = None

    @property
    def value(self) -> str:
        return self.map.value

    @property
    def label(self) -> str:
        return self.map.label


# In chart order: the order of the picker, the heat map, the catalogue and the zone lists.
MAP_SPECS: dict[ReflexMap, MapSpec] = {
    spec.map: spec
    for spec in (
        MapSpec(
            ReflexMap.FOOT_SOLE,
            short="sole",
            limb="foot",
            group=MapGroup.FEET,
            shape=MapShape((18, 0, 64, 100), chart_shapes.foot_sole()),
            code_prefix="sole",
            hand_equivalent=ReflexMap.HAND_PALM,
        ),
        MapSpec(
            ReflexMap.FOOT_TOP,
            short="top of foot",
            limb="foot",
            group=MapGroup.FEET,
            shape=MapShape((18, 0, 64, 100), chart_shapes.foot_top()),
            code_prefix="top",
            hand_equivalent=ReflexMap.HAND_BACK,
        ),
        MapSpec(
            ReflexMap.LOWER_LEG,
            short="lower leg",
            limb="leg",
            group=MapGroup.FEET,
            shape=MapShape((22, 0, 56, 100), chart_shapes.lower_leg()),
            code_prefix="leg",
            hand_equivalent=ReflexMap.HAND_PALM,
        ),
        MapSpec(
            ReflexMap.HAND_PALM,
            short="palm",
            limb="hand",
            group=MapGroup.HANDS,
            shape=MapShape((24, 0, 72, 100), chart_shapes.hand_palm()),
            code_prefix="palm",
        ),
        MapSpec(
            ReflexMap.HAND_BACK,
            short="back of hand",
            limb="hand",
            group=MapGroup.HANDS,
            shape=MapShape((4, 0, 72, 100), chart_shapes.hand_back()),
            code_prefix="back",
        ),
        MapSpec(
            ReflexMap.EAR,
            short="ear",
            limb="ear",
            group=MapGroup.EAR,
            shape=MapShape((18, 0, 60, 100), chart_shapes.ear()),
            code_prefix="ear",
        ),
    )
}


def map_spec(reflex_map: str) -> MapSpec:
    """The spec of a stored map value; an unknown value or a member without a spec raises."""
    return MAP_SPECS[ReflexMap(reflex_map)]


def maps_in(group: MapGroup) -> tuple[ReflexMap, ...]:
    """The maps of a group, in chart order; the first is the group's main map (the sole, the palm)."""
    return tuple(m for m, spec in MAP_SPECS.items() if spec.group == group)


MAP_ORDER: tuple[ReflexMap, ...] = tuple(MAP_SPECS)
FOOT_MAPS = maps_in(MapGroup.FEET)
HAND_MAPS = maps_in(MapGroup.HANDS)


Z = TypeVar("Z")  # a zone, or anything with a `reflex_map`


def group_by_map(zones: Iterable[Z]) -> dict[ReflexMap, list[Z]]:
    """Zones under their map, in chart order, keeping the zones' own order; maps with no zone left out.

    The one grouping the picker, the heat map, the zone select and the catalogue page share.
    """
    grouped: dict[ReflexMap, list[Z]] = {m: [] for m in MAP_ORDER}
    for zone in zones:
        grouped[ReflexMap(zone.reflex_map)].append(zone)
    return {m: zs for m, zs in grouped.items() if zs}


def spec_problems(members: Iterable[ReflexMap] = ReflexMap, specs: dict | None = None) -> list[str]:
    """What is missing or inconsistent in the map specs, in words; empty when all is well."""
    specs = MAP_SPECS if specs is None else specs
    problems = [f"Reflex map {m.value!r} has no MapSpec in sessions/reflex_maps.py." for m in members if m not in specs]
    for spec in specs.values():
        if not (spec.short and spec.limb and spec.code_prefix and spec.shape.draw):
            problems.append(f"The spec of {spec.value!r} lacks a short name, limb, code prefix or drawing.")
        equivalent = specs.get(spec.hand_equivalent)
        if spec.group == MapGroup.FEET and (equivalent is None or equivalent.group != MapGroup.HANDS):
            problems.append(f"Foot map {spec.value!r} needs a hand map as its hand equivalent (rule 1).")
    return problems
