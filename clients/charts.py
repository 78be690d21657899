"""The client page's pain chart (also on the printable progress report), drawn with the
site's chart toolkit (charts.svg). The series (pain before and after each session, and pain
the client reported at home from the routine emails) have the site's pain looks, the same
as on the report charts: they differ in colour, marker shape and dash, so they can be told
apart without colour; the same numbers are in a table for screen readers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils.formats import date_format
from django.utils.safestring import SafeString

from charts.svg import PAIN_AFTER, PAIN_AT_HOME, PAIN_BEFORE, Line, line_plot, shown_labels

MAX_PAIN = 10
# More date labels than this would crowd a time line; the table has every date.
MAX_X_LABELS = 8
# The share of the plot's width left empty at each end.
EDGE = 0.04

# (attribute of a PainPoint, legend label, look): the looks are the site's pain series.
SESSION_SERIES = (("before", "Pain before", PAIN_BEFORE), ("after", "Pain after", PAIN_AFTER))
HOME_LABEL = "At-home pain"


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
    # Sessions before the first point, not drawn (the client page draws the latest few).
    earlier: int = 0

    @classmethod
    def from_sessions(
        cls, sessions: Iterable, tz: str, home: Iterable[tuple[date, int]] = (), earlier: int = 0
    ) -> PainChart:
        """`sessions`: TreatmentSession rows oldest first; dates are shown in the clinic's zone.
        `home`: (client-local day, pain) check-ins from routine emails, oldest first.
        `earlier`: how many sessions came before `sessions` (numbering starts after them);
        with earlier sessions left out, at-home scores from before the first point are too."""
        zone = ZoneInfo(tz)
        points = [
            PainPoint(
                number=i,
                day=_local_day(s.started_at, zone),
                before=s.pain_before,
                after=s.pain_after,
            )
            for i, s in enumerate(sessions, start=earlier + 1)
        ]
        since = points[0].day if earlier and points else date.min
        return cls(
            points=points, home=[HomePainPoint(day, pain) for day, pain in home if day >= since], earlier=earlier
        )

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
                f"Pain before and after each of {self._which_sessions}, on a scale of 0 to 10, "
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
    def sessions_total(self) -> int:
        return self.earlier + len(self.points)

    @property
    def _which_sessions(self) -> str:
        if self.earlier:
            return f"the latest {len(self.points)} of {self.sessions_total} sessions"
        return f"{len(self.points)} sessions"

    @property
    def _span(self) -> tuple[date, date]:
        days = [p.day for p in self.points] + [h.day for h in self.home]
        return min(days), max(days)

    def _x(self, index: int, day: date) -> float:
        """Where a point stands across the plot, from 0 to 1 (an edge apart: the first and
        last dates are written centred under their points)."""
        if self.home:
            # At-home scores fall between sessions, so the axis becomes a time line.
            first, last = self._span
            across = 0.5 if first == last else (day - first).days / (last - first).days
        else:
            across = 0.5 if len(self.points) == 1 else index / (len(self.points) - 1)
        return EDGE + (1 - 2 * EDGE) * across

    def svg(self) -> SafeString:
        lines = [
            Line(
                label,
                look,
                [
                    (self._x(i, p.day), value, f"{label}, session {p.number} ({date_format(p.day, 'j M Y')}): {value}")
                    for i, p in enumerate(self.points)
                    if (value := getattr(p, key)) is not None
                ],
                css=f"pain-series pain-series-{key}",
            )
            for key, label, look in SESSION_SERIES
        ]
        lines.append(
            Line(
                HOME_LABEL,
                PAIN_AT_HOME,
                [
                    (self._x(0, h.day), h.pain, f"{HOME_LABEL} ({date_format(h.day, 'j M Y')}): {h.pain}")
                    for h in self.home
                ],
                css="pain-series pain-series-home",
            )
        )
        return line_plot(
            title="Pain before and after each session",
            desc=self.summary,
            lines=lines,
            x_ticks=[(self._x(i, day), date_format(day, "j M")) for i, day in self._x_labels()],
            y_max=MAX_PAIN,
            y_label="Pain (0-10)",
            x_label="Date" if self.home else "Session date",
            css="pain-chart",
        )

    def _x_labels(self) -> list[tuple[int, date]]:
        if self.home:
            first, last = self._span
            count = min(MAX_X_LABELS, (last - first).days + 1)
            return [(0, day) for day in sorted({first + (last - first) * k / max(count - 1, 1) for k in range(count)})]
        shown = shown_labels([date_format(p.day, "j M") for p in self.points])
        return [(i, self.points[i].day) for i in shown]


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def _score(value: int | None) -> str:
    return "not recorded" if value is None else str(value)
