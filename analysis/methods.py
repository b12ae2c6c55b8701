"""The statistical methods a build uses: each a named option with its default, its source and its words.

The defaults follow the packages analysts compare our figures with (issue 15): funnels as NHS-R
FunnelPlotR 0.6.0 draws them, control charts as NHS-R NHSRplotthedots 0.2.2 implements NHS
England's Making Data Count, and actual against predicted by the exact binomial test where the
normal approximation is poor. Each option reaches the analysis functions (analysis.funnel,
analysis.spc, analysis.reoffending) through `Methods`, which `pipeline.analyse`, `workbook build
--method KEY=VALUE` and the notebooks' ``methods`` parameter all take; `Methods.describe` is what
each report's method note says, so the note always names the method that made its figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from .funnel import DEFAULT_LEVELS, OVERDISPERSION_TRIMS, PROPORTION_METHODS
from .labels import level_percent
from .significance import EXACT_BELOW, INTERVAL_OPTIONS, SIGNIFICANCE_OPTIONS, test_words
from .significance import interval_words as _interval_words

__all__ = ["OPTIONS", "SPC_RULES", "Methods", "parse_methods"]

#: ``spc_rules``: NHSRplotthedots 0.2.2's reading of the rules, or the workbook's before issue 15.
SPC_RULES = ("making-data-count", "legacy")
_PERIOD = re.compile(r"\d{4}-Q[1-4]")
_AREA_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


@dataclass(frozen=True)
class Methods:
    """One build's choice of statistical methods; the defaults are the peers' defaults."""

    funnel_method: str = "arcsine"
    funnel_overdispersion: bool = True
    funnel_trim: str = "winsorise"
    funnel_trim_by: float = 0.1
    funnel_levels: tuple[float, float] = DEFAULT_LEVELS
    significance: str = "auto"
    interval: str = "auto"
    exact_below: float = EXACT_BELOW
    spc_screening: bool = True
    spc_baseline: int = 0
    spc_rebase: tuple[str, ...] = ()
    spc_rules: str = "making-data-count"
    benchmark_area: str = ""

    def __post_init__(self) -> None:
        problems = [problem for option in fields(self)
                    if (problem := _check(option.name, getattr(self, option.name)))]
        if problems:
            raise ValueError("; ".join(problems))

    # -- where each option goes ---------------------------------------------------------------
    def funnel_options(self) -> dict[str, Any]:
        """Keyword arguments of `funnel.funnel_limits`."""
        return {"method": self.funnel_method, "overdispersion": self.funnel_overdispersion,
                "overdispersion_trim": self.funnel_trim, "trim_by": self.funnel_trim_by,
                "levels": self.funnel_levels}

    def rate_options(self) -> dict[str, Any]:
        """Keyword arguments of `reoffending.reoffending_rates`."""
        return {"significance": self.significance, "interval": self.interval,
                "exact_below": self.exact_below}

    def benchmark_for(self, areas: Any) -> str | None:
        """The area every rate is compared with: ``benchmark_area``; blank, the one area of type
        nation (England and Wales in the MoJ's tables), if there is exactly one; "none", none."""
        if self.benchmark_area == "none":
            return None
        if self.benchmark_area:
            return self.benchmark_area
        nations = [str(a) for a, kind in zip(areas["area_id"], areas["area_type"], strict=True)
                   if kind == "nation"]
        return nations[0] if len(nations) == 1 else None

    def spc_options(self, periods: set[str]) -> dict[str, Any]:
        """Keyword arguments of `spc.xmr` for one series holding ``periods``: it is rebased at the
        given periods it holds (a policy change dates every area's series alike)."""
        legacy = self.spc_rules == "legacy"
        return {"screen_outliers": self.spc_screening,
                "baseline_points": self.spc_baseline or None,
                "rebase": [p for p in self.spc_rebase if p in periods] or None,
                "two_of_three": "legacy-two-beyond" if legacy else "all-same-side",
                "conflicts": "legacy-side-of-mean" if legacy else "precedence",
                "gaps": "legacy-bridge" if legacy else "break"}

    # -- as text ------------------------------------------------------------------------------
    def value_text(self, name: str) -> str:
        """One option's value as `parse_methods` reads it."""
        return _text(getattr(self, name))

    def spec(self) -> str:
        """The options that differ from the defaults, as `parse_methods` reads them ("" for none):
        the notebooks' ``methods`` parameter and part of each report's fingerprint."""
        default = Methods()
        return "; ".join(f"{option.name}={_text(getattr(self, option.name))}" for option in fields(self)
                         if getattr(self, option.name) != getattr(default, option.name))

    def describe(self) -> list[tuple[str, str]]:
        """(figure, method and source) for each kind of figure the options decide, in words."""
        return [("Funnel plots", self._funnel_words()),
                ("Control charts", self._spc_words()),
                ("Actual against predicted", self._significance_words()),
                ("Against the benchmark", self._benchmark_words())]

    def _benchmark_words(self) -> str:
        whose = (f"the rate of {self.benchmark_area}" if self.benchmark_area not in ("", "none")
                 else "the nation's rate")
        if self.benchmark_area == "none":
            return "Not compared: the build names no benchmark area."
        return (f"Each rate with counts is compared with {whose} for the same measure and cohort, "
                "as OHID Fingertips compares an area with England: better or worse where the "
                "area's Wilson score interval lies wholly below or above it, similar where the "
                "interval holds it, at 95% and, stricter, at 99.8%; a lower reoffending rate is "
                "better.")

    def _funnel_words(self) -> str:
        at = " and ".join(level_percent(level) for level in self.funnel_levels)
        if self.funnel_method == "wilson":
            return (f"Wilson score limits at {at} around the pooled rate, as UKHSA's "
                    "PHEindicatormethods 2.1.0 calculates funnel limits for a proportion; no "
                    "adjustment for overdispersion.")
        tamed = "Winsorised" if self.funnel_trim == "winsorise" else "truncated"
        trimmed = f"z-scores {tamed} at {self.funnel_trim_by:.0%}"
        if not self.funnel_overdispersion:
            widened = "not widened for overdispersion."
        elif self.funnel_method == "legacy":
            widened = (f"widened whenever the areas vary more than chance would explain ({trimmed}; "
                       "the workbook's earlier rule, kept as 'legacy').")
        else:
            widened = f"widened for overdispersion when φ > 1 (Spiegelhalter et al. 2012; {trimmed})."
        return (f"Limits at {at} around the pooled rate on the arcsine scale "
                "(Spiegelhalter 2005), as NHS-R FunnelPlotR 0.6.0 draws them, " + widened)

    def _spc_words(self) -> str:
        limits = f"from the first {self.spc_baseline} points" if self.spc_baseline else "from all points"
        parts = [f"XmR charts as NHS England's Making Data Count, as NHS-R NHSRplotthedots 0.2.2 "
                 f"implements it: limits are the mean ± 2.66 × the mean moving range, {limits}"]
        if self.spc_screening:
            parts.append("moving ranges above 3.267 × their mean are left out of it (screening)")
        if self.spc_rebase:
            parts.append("limits start afresh at " + ", ".join(self.spc_rebase))
        if self.spc_rules == "legacy":
            parts.append("special causes read by the workbook's earlier rules (kept as "
                         "'legacy': 2 of 3 near a limit on either side, conflicts settled by side of "
                         "the mean, a missing period bridged)")
        else:
            parts.append("special causes in the order outside the limits, 7-point trend, 2 of 3 near "
                         "a limit on one side, 7-point run; a missing period breaks runs and trends")
        return "; ".join(parts) + "."

    def _significance_words(self) -> str:
        test = {"auto": ["exact binomial", "z-test"], "exact": ["exact binomial"],
                "legacy-z-test": ["z-test"]}[self.significance]
        interval = {"auto": ["Clopper-Pearson", "Wilson"], "exact": ["Clopper-Pearson"],
                    "wilson": ["Wilson"]}[self.interval]
        tested = _capital(test_words(test, self.exact_below)).replace(
            "binomial test", "binomial test (minimum likelihood, as scipy.stats.binomtest)") + ", at 5%"
        sources = [name for name, used in (("Clopper and Pearson 1934", "Clopper-Pearson" in interval),
                                           ("Wilson 1927", "Wilson" in interval)) if used]
        words = (f"{tested}; the rate's interval is {_interval_words(interval, self.exact_below)} "
                 f"({'; '.join(sources)}).")
        return words.replace("Clopper-Pearson", "Clopper–Pearson")


def parse_methods(text: str | Methods | None) -> Methods:
    """``"funnel_method=wilson; spc_rebase=2006-Q1 2008-Q3"`` -> Methods; "" or None: the defaults.

    Pairs are separated by ";" or new lines; every bad key or value is named at once.
    """
    if isinstance(text, Methods):
        return text
    values: dict[str, Any] = {}
    problems: list[str] = []
    known = {option.name: option for option in fields(Methods)}
    for item in re.split(r"[;\n]", text or ""):
        if not item.strip():
            continue
        key, sep, value = (part.strip() for part in item.partition("="))
        if not sep or key not in known:
            problems.append(f"{item.strip()!r} is not KEY=VALUE with KEY one of {', '.join(known)}")
            continue
        try:
            values[key] = _value(key, value)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if problem := _check(key, values[key]):
            problems.append(problem)
    if problems:
        raise ValueError("methods: " + "; ".join(problems))
    return Methods(**values)


#: Each option: its allowed values in words (for `workbook methods` and errors).
OPTIONS: dict[str, str] = {
    "funnel_method": " | ".join(PROPORTION_METHODS) + " (arcsine: FunnelPlotR; wilson: PHEindicatormethods)",
    "funnel_overdispersion": "true | false: widen funnel limits when areas vary more than chance",
    "funnel_trim": " | ".join(OVERDISPERSION_TRIMS) + ": how extreme z-scores are tamed before φ",
    "funnel_trim_by": "a fraction 0 to 0.5 trimmed from each end of the z-scores",
    "funnel_levels": "two confidence levels, inner then outer, each between 0 and 1 (default 0.95 0.998)",
    "significance": " | ".join(SIGNIFICANCE_OPTIONS) + ": actual against predicted",
    "interval": " | ".join(INTERVAL_OPTIONS) + ": the rate's 95% interval",
    "exact_below": "a number >= 0: the exact methods where n·p·(1−p) is below it",
    "spc_screening": "true | false: leave very large moving ranges out of the XmR limits",
    "spc_baseline": "0 (all points) or 12 or more: XmR limits from the first N points",
    "spc_rebase": "quarters (YYYY-Qn) separated by spaces or commas where XmR limits start afresh",
    "spc_rules": " | ".join(SPC_RULES),
    "benchmark_area": "an area_id to compare every rate with, none, or blank for the one area of type "
                      "nation",
}


def _check(name: str, value: Any) -> str | None:
    choices = {"funnel_method": PROPORTION_METHODS, "funnel_trim": OVERDISPERSION_TRIMS,
               "significance": SIGNIFICANCE_OPTIONS, "interval": INTERVAL_OPTIONS, "spc_rules": SPC_RULES}
    if name in choices:
        ok = value in choices[name]
    elif name in ("funnel_overdispersion", "spc_screening"):
        ok = isinstance(value, bool)
    elif name == "funnel_trim_by":
        ok = isinstance(value, float | int) and not isinstance(value, bool) and 0 <= value < 0.5
    elif name == "exact_below":
        ok = isinstance(value, float | int) and not isinstance(value, bool) and value >= 0
    elif name == "funnel_levels":
        ok = (isinstance(value, tuple) and len(value) == 2
              and all(isinstance(v, float | int) and not isinstance(v, bool) and 0 < v < 1 for v in value)
              and value[0] < value[1])
    elif name == "spc_baseline":
        ok = isinstance(value, int) and not isinstance(value, bool) and (value == 0 or value >= 12)
    elif name == "benchmark_area":
        ok = isinstance(value, str) and (value in ("", "none") or _AREA_ID.fullmatch(value) is not None)
    else:  # spc_rebase
        ok = isinstance(value, tuple) and all(isinstance(p, str) and _PERIOD.fullmatch(p) for p in value)
    return None if ok else f"{name}={_text(value)!r} is not allowed: {OPTIONS[name]}"


def _value(key: str, text: str) -> Any:
    """One option's value from its text."""
    kind = {option.name: option.type for option in fields(Methods)}[key]
    if kind == "bool":
        if text.lower() not in ("true", "false", "yes", "no", "on", "off"):
            raise ValueError(f"{key}={text!r} is not allowed: {OPTIONS[key]}")
        return text.lower() in ("true", "yes", "on")
    if kind in ("float", "int"):
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{key}={text!r} is not allowed: {OPTIONS[key]}") from None
        if kind == "int":
            if number != int(number):
                raise ValueError(f"{key}={text!r} is not allowed: {OPTIONS[key]}")
            return int(number)
        return number
    if kind == "tuple[str, ...]":
        return tuple(p for p in re.split(r"[\s,]+", text) if p)
    if kind == "tuple[float, float]":
        try:
            return tuple(float(p) for p in re.split(r"[\s,]+", text) if p)
        except ValueError:
            raise ValueError(f"{key}={text!r} is not allowed: {OPTIONS[key]}") from None
    return text


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return " ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]

