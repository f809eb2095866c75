"""Text in a reading column with figures in the column beside it.

A form that must keep to two pages cannot both shorten its lines to about 70 characters and
keep its icon arrays under the text: the page runs out. Beside the reading column, the space
the shorter lines leave free holds the figures instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from reportlab.platypus import Flowable

_BIG = 1e6
Laid = list[tuple[Flowable, float, float]]  # each flowable, the gap above it and its height


def _spaced(flowables: Sequence[Flowable], width: float) -> tuple[Laid, float]:
    """The flowables one under the other, spaced as a frame spaces them, and their height."""
    out: Laid = []
    total = 0.0
    after = 0.0
    for i, f in enumerate(flowables):
        _, h = f.wrap(width, _BIG)
        gap = (after + f.getSpaceBefore()) if i else 0.0
        out.append((f, gap, h))
        total += gap + h
        after = f.getSpaceAfter()
    return out, total


class Beside(Flowable):
    """``main`` in a column ``main_width`` wide and ``side`` in a column at its right, both from
    the top; then ``tail`` (boxes, tables) across the full width under both.

    The side column is drawn where it stands in the document, before ``main[at:]``, so the
    structure tree reads the figures where the template put them. The whole stays on one page:
    where it does not fit, it gives way to the first of ``fallbacks`` that does (or the last):
    the same blocks one under the other at the full width, which is shorter (a long name on
    Letter paper, a therapist's box filled in), then the same with closer lines."""

    def __init__(self, main: Sequence[Flowable], at: int, side: Sequence[Flowable], tail: Sequence[Flowable],
                 main_width: float, gap: float, fallbacks: Sequence[Callable[[], list[Flowable]]]):
        super().__init__()
        self.main, self.at, self.side, self.tail = list(main), at, list(side), list(tail)
        self.main_width, self.gap = main_width, gap
        self.fallbacks = tuple(fallbacks)
        self._laid: tuple[Laid, Laid, Laid, float] | None = None
        first = (self.main or self.tail or [None])[0]
        last = (self.tail or self.main or [None])[-1]
        self.spaceBefore = first.getSpaceBefore() if first is not None else 0
        self.spaceAfter = last.getSpaceAfter() if last is not None else 0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        main, main_h = _spaced(self.main, self.main_width)
        side, side_h = _spaced(self.side, max(avail_width - self.main_width - self.gap, 1.0))
        tail, tail_h = _spaced(self.tail, avail_width)
        columns_h = max(main_h, side_h)
        if tail:
            gap = (self.main[-1].getSpaceAfter() if self.main else 0) + self.tail[0].getSpaceBefore()
            tail[0] = (tail[0][0], gap, tail[0][2])
            tail_h += gap
        self._laid = (main, side, tail, columns_h)
        self.width, self.height = avail_width, columns_h + tail_h
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        _, height = self.wrap(avail_width, avail_height)
        if height <= avail_height:
            return [self]
        for fallback in self.fallbacks[:-1]:
            flowables = fallback()
            if _spaced(flowables, avail_width)[1] <= avail_height:
                return flowables
        return self.fallbacks[-1]()

    def drawOn(self, canvas, x: float, y: float, _sW: float = 0) -> None:  # noqa: N802, N803 (reportlab's)
        if self._laid is None:
            self.wrap(self.width, self.height)
        main, side, tail, columns_h = self._laid  # type: ignore[misc]
        top = y + self.height

        def column(items: Laid, left: float, start: float) -> float:
            for f, gap, h in items:
                start -= gap + h
                f.drawOn(canvas, left, start)
            return start

        below = column(main[:self.at], x, top)
        column(side, x + self.main_width + self.gap, top)
        column(main[self.at:], x, below)
        column(tail, x, top - columns_h)
