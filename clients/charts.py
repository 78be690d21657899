"""The client page's pain chart: an SVG drawn on the server, so it needs no JavaScript
and prints. The series (pain before and after each session, and pain the client reported
at home from the routine emails) differ in colour, marker shape and dash, so they can be
told apart without colour; the same numbers are in a table for screen readers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

# Geometry of the drawing, in SVG user units; the SVG scales to its container.
WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 28, 40, 52
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM
MAX_PAIN = 10
# More date labels than this would overlap; the table has every date.
MAX_X_LABELS = 8

BEFORE = {"key": "before", "label": "Pain before", "colour": "#b42318", "dash": "", "marker": "circle"}
AFTER = {"key": "after", "label": "Pain after", "colour": "#155eaf", "dash": "6 4", "marker": "square"}
HOME = {"key": "home", "label": "At-home pain", "colour": "#3f6212", "dash": "1 5", "marker": "triangle"}


@dataclass(frozen=True)
class PainPoint:
    number: int
    day: date
    before: int | None
    after: int | None

    @property
    def change(self) -> int | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass(frozen=True)
class HomePainPoint:
    day: date
    pain: int


@dataclass(frozen=True)
class PainChart:
    points: list[PainPoint]
    home: list[HomePainPoint] = field(default_factory=list)

    @classmethod
    def from_sessions(cls, sessions: Iterable, tz: str, home: Iterable[tuple[date, int]] = ()) -> PainChart:
        """`sessions`: TreatmentSession rows oldest first; dates are shown in the clinic's zone.
        `home`: (client-local day, pain) check-ins from routine emails, oldest first."""
        zone = ZoneInfo(tz)
        points = [
            PainPoint(
                number=i,
                day=_local_day(s.started_at, zone),
                before=s.pain_before,
                after=s.pain_after,
            )
            for i, s in enumerate(sessions, start=1)
        ]
        return cls(points=points, home=[HomePainPoint(day, pain) for day, pain in home])

    @property
    def has_data(self) -> bool:
        return bool(self.home) or any(p.before is not None or p.after is not None for p in self.points)

    @property
    def summary(self) -> str:
        scored = [p for p in self.points if p.before is not None or p.after is not None]
        if not scored and not self.home:
            return "No pain scores recorded yet."
        parts = []
        if scored:
            first, last = scored[0], scored[-1]
            parts.append(
                f"Pain before and after each of {len(self.points)} sessions, on a scale of 0 to 10, "
                f"from {date_format(first.day, 'j M Y')} to {date_format(last.day, 'j M Y')}. "
                f"Latest session: before {_score(last.before)}, after {_score(last.after)}."
            )
        if self.home:
            parts.append(
                f"{len(self.home)} at-home pain score{'s' if len(self.home) != 1 else ''} from the routine emails, "
                f"from {date_format(self.home[0].day, 'j M Y')} to {date_format(self.home[-1].day, 'j M Y')}; "
                f"latest {self.home[-1].pain}."
            )
        return " ".join(parts)

    @property
    def _span(self) -> tuple[date, date]:
        days = [p.day for p in self.points] + [h.day for h in self.home]
        return min(days), max(days)

    def _x(self, index: int, day: date) -> float:
        if self.home:
            # At-home scores fall between sessions, so the axis becomes a time line.
            first, last = self._span
            if first == last:
                return LEFT + PLOT_W / 2
            return LEFT + PLOT_W * (day - first).days / (last - first).days
        if len(self.points) == 1:
            return LEFT + PLOT_W / 2
        return LEFT + PLOT_W * index / (len(self.points) - 1)

    @staticmethod
    def _y(score: int) -> float:
        return TOP + PLOT_H * (1 - score / MAX_PAIN)

    def svg(self) -> SafeString:
        parts: list[str] = [
            format_html(
                '<svg class="pain-chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
                'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">',
                WIDTH,
                HEIGHT,
                self.summary,
            ),
            "<title>Pain before and after each session</title>",
            format_html("<desc>{}</desc>", self.summary),
        ]
        parts += self._axes()
        for series in (BEFORE, AFTER):
            parts += self._series(series, self._session_coords(series))
        parts += self._series(HOME, self._home_coords())
        parts += self._legend()
        parts.append("</svg>")
        # Safe: every value that comes from data is escaped above; the rest are numbers.
        return mark_safe("".join(parts))

    def _axes(self) -> list[str]:
        out = ['<g class="pain-chart-grid" font-size="12" fill="#4b5563">']
        for score in range(0, MAX_PAIN + 1, 2):
            y = self._y(score)
            out.append(
                f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="{"#9ca3af" if score == 0 else "#e5e7eb"}" stroke-width="1"/>'
            )
            out.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{score}</text>')
        out.append(
            f'<text x="14" y="{TOP + PLOT_H / 2:.1f}" text-anchor="middle" '
            f'transform="rotate(-90 14 {TOP + PLOT_H / 2:.1f})">Pain (0-10)</text>'
        )
        for x, day in self._x_labels():
            out.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">'
                f"{escape(date_format(day, 'j M'))}</text>"
            )
        title = "Date" if self.home else "Session date"
        out.append(f'<text x="{LEFT + PLOT_W / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle">{title}</text>')
        out.append("</g>")
        return out

    def _x_labels(self) -> list[tuple[float, date]]:
        if self.home:
            first, last = self._span
            count = min(MAX_X_LABELS, (last - first).days + 1)
            days = sorted({first + (last - first) * k / max(count - 1, 1) for k in range(count)})
            return [(self._x(0, day), day) for day in days]
        step = max(1, -(-len(self.points) // MAX_X_LABELS))
        return [
            (self._x(i, p.day), p.day) for i, p in enumerate(self.points) if not i % step or i == len(self.points) - 1
        ]

    def _session_coords(self, series: dict) -> list[tuple[float, float, str]]:
        return [
            (
                self._x(i, p.day),
                self._y(value),
                f"{series['label']}, session {p.number} ({date_format(p.day, 'j M Y')}): {value}",
            )
            for i, p in enumerate(self.points)
            if (value := getattr(p, series["key"])) is not None
        ]

    def _home_coords(self) -> list[tuple[float, float, str]]:
        return [
            (self._x(0, h.day), self._y(h.pain), f"{HOME['label']} ({date_format(h.day, 'j M Y')}): {h.pain}")
            for h in self.home
        ]

    def _series(self, series: dict, coords: list[tuple[float, float, str]]) -> list[str]:
        if not coords:
            return []
        colour = series["colour"]
        dash = f' stroke-dasharray="{series["dash"]}"' if series["dash"] else ""
        out = [f'<g class="pain-series pain-series-{series["key"]}" aria-hidden="true">']
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coords)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"{dash} '
                'stroke-linejoin="round"/>'
            )
        for x, y, title in coords:
            # A hover tooltip for sighted mouse users; screen readers get the table instead.
            out.append(f"<g><title>{escape(title)}</title>{_marker(series['marker'], x, y, colour)}</g>")
        out.append("</g>")
        return out

    def _legend(self) -> list[str]:
        out = ['<g class="pain-chart-legend" font-size="13" fill="#111827">']
        x = LEFT
        for series in (BEFORE, AFTER, HOME) if self.home else (BEFORE, AFTER):
            dash = f' stroke-dasharray="{series["dash"]}"' if series["dash"] else ""
            out.append(
                f'<line x1="{x}" x2="{x + 34}" y1="18" y2="18" stroke="{series["colour"]}" stroke-width="2.5"{dash}/>'
            )
            out.append(_marker(series["marker"], x + 17, 18, series["colour"]))
            out.append(f'<text x="{x + 42}" y="22">{escape(series["label"])}</text>')
            x += 150
        out.append("</g>")
        return out


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "triangle":
        points = f"{x:.1f},{y - 6.5:.1f} {x + 6:.1f},{y + 4.5:.1f} {x - 6:.1f},{y + 4.5:.1f}"
        return f'<polygon points="{points}" fill="{colour}" stroke="#fff"/>'
    if shape == "square":
        return f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{colour}" stroke="#fff"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5.5" fill="{colour}" stroke="#fff"/>'


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def _score(value: int | None) -> str:
    return "not recorded" if value is None else str(value)
