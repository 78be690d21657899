"""Outlines of the reflex maps, drawn for the RIGHT side in 0-100 chart units.

Each map's spec in `sessions/reflex_maps.py` names its drawing and view box here.

Zones are stored in the same units, so a chart is just "outline, then ellipses". Each
map's viewBox is a crop of the 0-100 square that suits its shape; the left side is
the same drawing mirrored about x = 50 (see `view_box`). Feet and the lower leg are
seen from above with the big toe / inner edge on the left of a right foot; the palm
as you see your own palm (thumb outward), the back of the hand as you look down at
it (thumb inward); the ear from the side of the head with the face to the right.

The outlines use presentation attributes, not CSS classes, so that the same markup
works on a page and in a standalone picture for an email.
"""

from __future__ import annotations

from dataclasses import dataclass

SKIN = "#f6e7da"
SKIN_LINE = "#9a7661"
DETAIL = "#caa892"
NAIL = "#fbf3ec"

_BODY = f'fill="{SKIN}" stroke="{SKIN_LINE}" stroke-width="0.55" stroke-linejoin="round"'
_BODY_WIDE = _BODY.replace('stroke-width="0.55"', 'stroke-width="1.1"')
_DETAIL = f'fill="none" stroke="{DETAIL}" stroke-width="0.4" stroke-linecap="round"'
_NAIL = f'fill="{NAIL}" stroke="{DETAIL}" stroke-width="0.35"'


def _n(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Digit:
    """A toe or a finger: straight sides with a rounded pad, rotated about its base."""

    cx: float
    tip: float
    width: float
    base: float
    angle: float = 0
    taper: float = 0.9
    roundness: float = 0.55  # height of the rounded tip as a share of the width

    def _transform(self) -> str:
        if not self.angle:
            return ""
        return f' transform="rotate({_n(self.angle)} {_n(self.cx)} {_n(self.base)})"'

    def path(self) -> str:
        w, wt = self.width / 2, self.width * self.taper / 2
        ry = self.width * self.roundness
        d = (
            f"M{_n(self.cx - w)} {_n(self.base)} "
            f"C{_n(self.cx - w)} {_n(self.base - (self.base - self.tip) * 0.4)} "
            f"{_n(self.cx - wt)} {_n(self.tip + ry * 1.3)} {_n(self.cx - wt)} {_n(self.tip + ry)} "
            f"A{_n(wt)} {_n(ry)} 0 0 1 {_n(self.cx + wt)} {_n(self.tip + ry)} "
            f"C{_n(self.cx + wt)} {_n(self.tip + ry * 1.3)} "
            f"{_n(self.cx + w)} {_n(self.base - (self.base - self.tip) * 0.4)} {_n(self.cx + w)} {_n(self.base)} Z"
        )
        return f'<path d="{d}" {_BODY}{self._transform()}/>'

    def nail(self) -> str:
        nw = self.width * self.taper * 0.62
        top = self.tip + self.width * 0.18
        h = (self.base - self.tip) * 0.28
        d = (
            f"M{_n(self.cx - nw / 2)} {_n(top + h)} L{_n(self.cx - nw / 2)} {_n(top + nw / 2)} "
            f"A{_n(nw / 2)} {_n(nw / 2)} 0 0 1 {_n(self.cx + nw / 2)} {_n(top + nw / 2)} "
            f"L{_n(self.cx + nw / 2)} {_n(top + h)} "
            f"Q{_n(self.cx)} {_n(top + h + nw * 0.25)} {_n(self.cx - nw / 2)} {_n(top + h)} Z"
        )
        return f'<path d="{d}" {_NAIL}{self._transform()}/>'

    def creases(self, *fractions: float) -> str:
        """Short joint lines across the digit, at shares of its length from the tip."""
        out = []
        for f in fractions:
            y = self.tip + (self.base - self.tip) * f
            half = self.width * (self.taper + (1 - self.taper) * f) / 2 * 0.7
            out.append(
                f'<path d="M{_n(self.cx - half)} {_n(y)} Q{_n(self.cx)} {_n(y + 0.8)} {_n(self.cx + half)} {_n(y)}" '
                f"{_DETAIL}{self._transform()}/>"
            )
        return "".join(out)


def _body(d: str) -> str:
    return f'<path d="{d}" {_BODY}/>'


def _detail(d: str) -> str:
    return f'<path d="{d}" {_DETAIL}/>'


def _silhouette(digits: tuple[Digit, ...], body_d: str, extra: str = "") -> list[str]:
    """Body, digits, then the body again without a stroke: one outline, no seams at the bases."""
    # The first outline is twice as wide because the last fill hides its inner half.
    wide = f'<path d="{body_d}" {_BODY_WIDE}/>'
    return [wide, *(d.path() for d in digits), extra, f'<path d="{body_d}" fill="{SKIN}"/>']


# --- Feet -------------------------------------------------------------------------

TOES = (
    Digit(32, 3.5, 15.5, 27, roundness=0.62, taper=0.96),
    Digit(45.8, 7.5, 9.2, 27, angle=1, roundness=0.6, taper=0.92),
    Digit(55.4, 10.2, 8.6, 27.5, angle=4, roundness=0.6, taper=0.92),
    Digit(64, 13.8, 8, 28.5, angle=8, roundness=0.6, taper=0.92),
    Digit(71.8, 18, 7, 29.5, angle=13, roundness=0.6, taper=0.92),
)

_SOLE = (
    "M24.5 27 C33 21.5 60 20.5 76.5 27.5 C79 33 78.5 41 76 50 C73.5 59 71 69 69.5 79 "
    "C68 91 61 98 51 98 C41 98 34.5 92 33.5 83 C32.5 74 33 66 31 58 C29 50 23 43 22.8 35 "
    "C22.7 31 23.5 29 24.5 27 Z"
)

_FOOT_TOP = (
    "M24.5 27 C33 21.5 60 20.5 76.5 27.5 C79 36 76 50 71.5 62 C68.5 70 67 76 68 82 "
    "C69.5 86 69 90 66 94 L66 103 L34 103 L34 94 C31 90 30.5 85 32 80 C33 72 29 60 26 50 "
    "C23 42 22.5 33 24.5 27 Z"
)


def foot_sole() -> str:
    parts = _silhouette(TOES, _SOLE)
    parts.append(_detail("M25.5 28.5 C34 24.5 58 23.5 75.5 29.5"))
    # Ball of the foot and heel pad, as a reflexology chart shows them.
    parts.append(_detail("M25 37.5 C38 42 60 41.5 76.5 36"))
    parts.append(_detail("M36 80 C42 77 60 77 67 80"))
    parts += [t.creases(0.62) for t in TOES[1:]]
    return "".join(parts)


def foot_top() -> str:
    parts = _silhouette(TOES, _FOOT_TOP)
    parts += [t.nail() for t in TOES]
    # Tendons fanning to the toes, the ankle crease and the two ankle bones.
    parts.append(_detail("M32 31 C36 48 42 62 45 76 M46 31 C47 48 48 62 48.5 75 M55.5 31.5 C55 48 53 62 52 75"))
    parts.append(_detail("M64 32.5 C62 48 58 62 55.5 75 M71 33.5 C68 48 63 62 59 75"))
    parts.append(_detail("M33 80 C42 84 58 84 67.5 80"))
    parts.append(_detail("M30.6 84 C31 88.5 35 90.5 37.5 88.5 M69.2 86 C68.8 90.5 65 92 62.5 90"))
    return "".join(parts)


def lower_leg() -> str:
    leg = (
        "M31 -2 L31 4 C29 12 28.5 20 29.5 27 C31 38 35 50 38 62 C40 70 40.5 76 40 82 "
        "C39.5 86 38 88 37 91 L35 103 L65 103 L63 91 C62 88 61 86.5 61 84 C61 76 62 68 63 60 "
        "C65 48 70.5 36 70.5 24 C70.5 15 69 8 68 4 L68 -2 Z"
    )
    parts = [_body(leg)]
    # Kneecap, the shinbone's front edge, the ankle bones and the top of the foot below.
    parts.append('<ellipse cx="50" cy="9" rx="7" ry="6.5" fill="none" stroke="#caa892" stroke-width="0.45"/>')
    parts.append(_detail("M48 19 C46 38 45 60 46 80"))
    parts.append(_detail("M40.5 83 C37.5 85 37.5 89 40 90 M60.5 85 C63 87 63 90.5 60.5 92"))
    parts.append(_detail("M40 90.5 C45 93.5 55 93.5 60.5 92"))
    return "".join(parts)


# --- Hands ------------------------------------------------------------------------
# Right palm, as you see your own palm: little finger on the left, thumb on the right.

FINGERS = (
    Digit(33.6, 29, 8.2, 54, angle=-7, roundness=0.5),
    Digit(44, 12.5, 9.2, 51, angle=-2.5, roundness=0.5),
    Digit(54.6, 7, 9.6, 50, roundness=0.5),
    Digit(64.6, 13, 9.2, 51, angle=3.5, roundness=0.5),
)
THUMB = Digit(71, 40, 11, 74, angle=30, roundness=0.5, taper=0.88)

_PALM = (
    "M29.5 53 C29.5 49 35 45.5 44 45 C52 44.5 62 44.5 69 47.5 C71.5 50.5 72.5 54 74.5 58.5 "
    "C79 63 81 69 79 76 C77 84 71 89 67 96 L66 103 L39 103 L38 96 C33 90 30.5 82 30 72 "
    "C29.5 64 29.8 58 29.5 53 Z"
)


def _palm_digits(back: bool) -> list[str]:
    parts = _silhouette((THUMB, *FINGERS), _PALM)
    if back:
        parts += [f.nail() for f in FINGERS] + [THUMB.nail()]
    else:
        parts += [f.creases(0.3, 0.58) for f in FINGERS] + [THUMB.creases(0.45)]
    return parts


def hand_palm() -> str:
    parts = _palm_digits(back=False)
    parts.append(_detail("M31 55 C33 53.5 36 53.5 38 54.5 M40 51 C43 49.5 46.5 49.5 48.5 50.5"))
    parts.append(_detail("M50.5 49.5 C53 48.5 56.5 48.5 59 49.5 M60.5 50.5 C63 49.5 66 49.5 68.5 51"))
    parts.append(_detail("M30.5 61 C40 57 53 58 66 52.5"))
    parts.append(_detail("M31 67 C44 64.5 57 64 71.5 58.5"))
    parts.append(_detail("M71 58.5 C63 65 60 78 62.5 95"))
    return "".join(parts)


def hand_back() -> str:
    parts = _palm_digits(back=True)
    # Knuckles and the tendons running to them.
    parts.append(_detail("M31.5 55 C33 53 35.5 53 37 55 M41.5 52 C43 50 46 50 47.5 52"))
    parts.append(_detail("M52 51 C53.5 49 56.5 49 58 51 M62 52 C63.5 50 66.5 50 68 52.5"))
    parts.append(_detail("M34.5 57 C38 72 43 84 45 95 M44.5 54 C46 70 48 84 49 95"))
    parts.append(_detail("M55 53 C54.5 70 53.5 84 53 95 M65 54 C62 70 59 84 57 95"))
    # Drawn as the palm mirrored: the back of the right hand has the thumb on the left.
    return f'<g transform="translate(100 0) scale(-1 1)">{"".join(parts)}</g>'


# --- Ear --------------------------------------------------------------------------
# Right ear seen from the right: the rim (helix) on the left, the tragus and face on the right.

_EAR = (
    "M66.5 29 C66.5 14 58 4 46.5 4 C33 4 24 15.5 24 31 C24 44 26.5 55 30.5 64 "
    "C33.5 71 33.5 78 35 86 C36.5 93.5 41.5 97.5 47.5 97.5 C55 97.5 60 92 60.5 84 "
    "C61 79.5 62 76.5 64 74.5 C67 72.5 69 68 69 62 C69 56.5 67 52.5 65.5 49.5 "
    "C65 43 66.5 36 66.5 29 Z"
)


def ear() -> str:
    parts = [_body(_EAR)]
    # Inner rim of the helix, the Y of the antihelix, the bowl (concha), the helix root.
    parts.append(_detail("M62.5 31 C61.5 18 55 10 46.5 10 C36.5 10 30 18.5 30 31 C30 43 33 52 37.5 60.5"))
    ridge = 'fill="none" stroke="#e4c9b6" stroke-width="2.4" stroke-linecap="round"'
    parts.append(f'<path d="M52 72 C43.5 66 38.5 56 40 45 C41 37 44.5 27 50.5 17.5" {ridge}/>')
    parts.append(f'<path d="M41.5 40 C48 35.5 55.5 33.5 63 33.5" {ridge}/>')
    parts.append(_detail("M52 72 C43.5 66 38.5 56 40 45 C41 37 44.5 27 50.5 17.5 M41.5 40 C48 35.5 55.5 33.5 63 33.5"))
    parts.append(_detail("M60 71 C52 69 45.5 62 46 52 C46.5 45 52 40.5 59 40.5"))
    parts.append(_detail("M66 35 C60 38 56 41.5 53 45.5"))
    parts.append(_detail("M51 74 C53 77 57 77.5 59.5 75"))
    parts.append(_detail("M66.5 53 C67.5 57 67.5 63 65.5 68"))
    return "".join(parts)


@dataclass(frozen=True)
class MapShape:
    view_box: tuple[float, float, float, float]  # for the right side
    draw: str

    def view_box_for(self, side: str) -> str:
        x, y, w, h = self.view_box
        if side == "left":
            x = 100 - x - w
        return " ".join(_n(v) for v in (x, y, w, h))
