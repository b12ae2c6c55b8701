"""Report charts (afcharts style, the PDF's text width, deterministic) with titles, captions, alt text."""

# Each chart is three steps: prepare (data to a tidy frame, analysis.charts.prepare, no
# matplotlib), draw (a matplotlib Figure, one module per chart family) and describe (title,
# caption and alt text from the prepared frame), so its wording is tested without drawing it.

from __future__ import annotations

import pandas as pd

from .base import DARK_BLUE as _DARK_BLUE
from .base import DARK_GREY as _DARK_GREY
from .base import DARK_PINK as _DARK_PINK
from .base import GREY as _GREY
from .base import ORANGE as _ORANGE
from .base import PURPLE as _PURPLE
from .base import SEQUENTIAL as _SEQUENTIAL
from .base import TURQUOISE as _TURQUOISE
from .base import Chart, show, to_png
from .indicators import indicator_chart
from .inspection import criterion_scores_chart, family_chart, section_comparison_chart, section_scores_chart
from .plans import coverage_heatmap, lead_load_chart, milestone_timeline
from .prepare import indicators as _indicators
from .prepare.inspection import family_sentence
from .ratings import key_questions_chart
from .reoffending import difference_chart, funnel_plot, rate_trend, xmr_chart
from .targets import ni18_chart, ni30_chart

__all__ = [
    "Chart",
    "coverage_heatmap",
    "criterion_scores_chart",
    "difference_chart",
    "family_chart",
    "family_sentence",
    "funnel_plot",
    "indicator_chart",
    "indicator_sentence",
    "key_questions_chart",
    "lead_load_chart",
    "milestone_timeline",
    "ni18_chart",
    "ni30_chart",
    "rate_trend",
    "section_comparison_chart",
    "section_scores_chart",
    "show",
    "to_png",
    "xmr_chart",
]

# The palette under its old private names (tests/test_accessibility.py checks its contrast).
_COLOURS = (_DARK_BLUE, _TURQUOISE, _DARK_PINK, _ORANGE, _DARK_GREY, _PURPLE, _GREY, _SEQUENTIAL)


def indicator_sentence(indicators_status: pd.DataFrame, *, period: str | None = None) -> str:
    """Indicators of the period with no target, in words: what a report prints instead of a chart
    of one bar each ('' when every indicator has a target or there is none)."""
    d = _indicators.prepare_indicators(indicators_status, period)
    return "" if d is None else _indicators.indicator_sentence(d)
