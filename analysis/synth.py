"""Deterministic generator of complete, contract-valid synthetic datasets (every table)."""

from __future__ import annotations

import calendar
import csv
import io
import logging
import math
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from . import contract
from .frameworks import RATING_SCALE, load_framework

log = logging.getLogger(__name__)

__all__ = ["synthesise"]

MEASURE = "adult-proven-1yr"
NATION_ID = "synthetic-nation"
FRAMEWORK = "esi-2003"

_FAMILIES = (
    "Synthetic family 1: small, low density",
    "Synthetic family 2: medium, mixed",
    "Synthetic family 3: large, urban",
    "Synthetic family 4: metropolitan",
)

# Each pathway written as plans write it: code, name and aliases in several cases, so a
# synthetic dataset exercises alias resolution (analysis/pathways.py).
_SPELLINGS: dict[str, tuple[str, ...]] = {
    "ACCM": ("ACCM", "Accommodation", "accommodation", "Accommodation and support"),
    "ETE": ("ETE", "ELS", "Employment, training and education",
            "Employment, learning and skills", "Skills and employment"),
    "HEALTH": ("HEALTH", "Health", "Mental and physical health"),
    "DRUGS_ALCOHOL": ("DRUGS_ALCOHOL", "Drugs and alcohol", "Drugs & Alcohol", "Drugs",
                      "alcohol"),
    "FBD": ("FBD", "Finance, benefit and debt", "Finance, Benefit & Debt"),
    "CF": ("CF", "C&F", "Children and families", "Children and families of offenders"),
    "ATB": ("ATB", "Attitudes, thinking and behaviour"),
    "PP": ("PP", "Public protection", "public protection"),
    "PPO": ("PPO", "PPOs", "Prolific and priority offenders",
            "Prolific and other priority offenders"),
    "OM": ("OM", "Offender management"),
    "ED": ("ED", "E&D", "Equality and diversity"),
    "TSF": ("TSF", "Third sector", "Third sector and faith"),
}
_PATHWAYS = ("ACCM", "ETE", "HEALTH", "DRUGS_ALCOHOL", "FBD", "CF", "ATB")
_CROSS_CUTTING = ("PP", "PPO", "OM", "ED", "TSF")

# (title, aim, measure, actions) per pathway: two or three per code to vary the plans.
_STRANDS: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "ACCM": (
        ("Increase access to settled accommodation",
         "More offenders in settled accommodation at the end of their order or licence",
         "Percentage in settled accommodation at termination",
         "Housing advice in every office; joint protocol with local housing teams"),
        ("Prevent loss of tenancy on custody",
         "Fewer offenders lose their home when sentenced to custody",
         "Tenancies sustained through short sentences",
         "Tenancy sustainment referrals at court; landlord liaison"),
    ),
    "ETE": (
        ("Improve employment outcomes",
         "More offenders in employment at the end of their order",
         "Percentage in employment at termination",
         "Employer forum; job brokerage; disclosure advice"),
        ("Raise basic skills",
         "Offenders with basic skills needs start and complete provision",
         "Basic skills starts and completions",
         "Screening at induction; referral to learning providers"),
    ),
    "HEALTH": (
        ("Improve access to mental health services",
         "Offenders with mental health needs are assessed and treated",
         "Referrals accepted by community mental health teams",
         "Liaison and diversion at court; joint case reviews"),
        ("Register offenders with a GP",
         "Every offender under supervision is registered with a GP",
         "Percentage registered with a GP",
         "GP registration checks at induction"),
    ),
    "DRUGS_ALCOHOL": (
        ("Increase drug treatment completions",
         "More drug-misusing offenders complete treatment",
         "Drug rehabilitation requirement completions",
         "Joint commissioning with the drug action team"),
        ("Tackle alcohol-related offending",
         "Alcohol treatment available to every offender who needs it",
         "Alcohol treatment requirement starts",
         "Alcohol screening; brief interventions"),
    ),
    "FBD": (
        ("Improve access to benefits and debt advice",
         "Offenders leave custody with a benefit claim in place",
         "Claims in payment within two weeks of release",
         "Benefit surgeries; debt advice referrals"),
        ("Open bank accounts for offenders",
         "Offenders can manage their money",
         "Bank accounts opened",
         "Basic bank account scheme with partner banks"),
    ),
    "CF": (
        ("Support families of offenders",
         "Family ties maintained during sentence",
         "Family support contacts",
         "Family support workers; visitor centre services"),
        ("Parenting support",
         "Offenders with children take up parenting programmes",
         "Parenting programme completions",
         "Referral to local parenting programmes"),
    ),
    "ATB": (
        ("Deliver accredited programmes",
         "Offenders assessed as suitable complete accredited programmes",
         "Accredited programme completions",
         "Programme capacity plan; attendance follow-up"),
        ("Embed pro-social modelling",
         "Supervision challenges offending attitudes",
         "Quality of supervision sessions",
         "Staff training; observed practice"),
    ),
    "PP": (
        ("Strengthen multi-agency public protection arrangements",
         "High-risk offenders are managed jointly",
         "Risk management plans reviewed on time",
         "MAPPA training; shared risk registers"),
    ),
    "PPO": (
        ("Manage prolific and priority offenders",
         "Reduce offending by prolific and other priority offenders",
         "Convictions of the PPO cohort",
         "Joint police and probation case management"),
    ),
    "OM": (
        ("Implement end-to-end offender management",
         "One offender manager throughout the sentence",
         "Cases with a single named offender manager",
         "Tiering; case allocation review"),
    ),
    "ED": (
        ("Meet the diversity needs of offenders",
         "Services meet the needs of every group of offenders",
         "Outcomes monitored by ethnicity and gender",
         "Diversity monitoring; women-only provision"),
    ),
    "TSF": (
        ("Involve the third sector and faith groups",
         "Voluntary and faith organisations deliver services",
         "Contracts and volunteers in place",
         "Third sector forum; mentoring scheme"),
    ),
}

_MILESTONES = (
    "Baseline audit completed",
    "Protocol agreed with partners",
    "Pilot launched in two offices",
    "Staff briefed and trained",
    "Referral pathway in place",
    "Review of outcomes reported to the board",
    "Service specification agreed",
    "Evaluation published",
)
_QUANTITATIVE = (
    "offenders referred",
    "completions",
    "offenders placed",
    "assessments completed",
)
_UNDATED = ("ongoing", "Ongoing", "tbc", "as required", "throughout the plan")
_COMMENTS = {
    "green": ("On track", "Milestones met this quarter", "Ahead of plan"),
    "amber": ("Some slippage; recovery plan agreed", "Partner capacity limited this quarter"),
    "red": ("Behind plan; escalated to the board", "Funding not yet confirmed"),
}


# Paraphrased recommendations of the kind a probation inspection makes, one per theme.
_RECOMMENDATIONS = (
    "Improve the quality of risk of harm assessments",
    "Cut waiting times for accredited programmes",
    "Make sure contact with offenders meets national standards",
    "Review sentence plans on time and with the offender",
    "Take enforcement action promptly after unacceptable absences",
    "Share child protection concerns with partner agencies",
    "Give offender managers regular supervision and case audits",
    "Use victim information when planning the work with each case",
    "Link offenders to housing and employment services before their order ends",
    "Monitor outcomes by ethnicity and gender and act on the results",
    "Check that unpaid work starts promptly and is completed",
    "Report the outcomes of interventions to the board",
)


@dataclass(frozen=True)
class _Indicator:
    name: str
    unit: str
    better: str
    mean: float
    spread: float
    target: float | None


_INDICATORS = (
    _Indicator("Offenders in settled accommodation at end of order", "percent", "higher",
               82.0, 5.0, 85.0),
    _Indicator("Offenders in employment at end of order", "percent", "higher", 38.0, 6.0, 40.0),
    _Indicator("Drug treatment completions", "count", "higher", 120.0, 30.0, None),
    _Indicator("Days from sentence to first appointment", "days", "lower", 6.0, 1.5, 5.0),
)

_AGE_BANDS = ("18-20", "21-24", "25-29", "30-39", "40-49", "50+")
_AGE_SHARE = np.array([0.08, 0.14, 0.18, 0.30, 0.18, 0.12])
_AGE_LOGIT = np.array([0.6, 0.45, 0.25, 0.0, -0.35, -0.9])
_GENDERS = ("Male", "Female")
_GENDER_LOGIT = np.array([0.0, -0.3])

_RECORD_SCHEMA = pa.schema([
    ("area_id", pa.string()),
    ("cohort", pa.string()),
    ("measure", pa.string()),
    ("reoffended", pa.int8()),
    ("reoffences", pa.int32()),
    ("predicted", pa.float64()),
    ("serious", pa.int8()),
    ("gender", pa.string()),
    ("age_band", pa.string()),
])


@dataclass(frozen=True)
class _Area:
    index: int
    area_id: str
    name: str
    population: int
    size: float  # population relative to the mean area
    quality: float  # latent quality of the service, drives inspection scores


@dataclass(frozen=True)
class _Cohort:
    area: int
    label: str
    offenders: int
    reoffenders: int
    reoffences: int
    serious: int
    predicted_rate: str


# ---------------------------------------------------------------------------------------------
# Small helpers


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _quarters(first: str, count: int) -> list[tuple[int, int]]:
    m = re.fullmatch(r"(\d{4})-Q([1-4])", first.strip(), re.IGNORECASE)
    if m is None:
        raise ValueError(f"first_quarter must be written YYYY-Qn, not {first!r}")
    start = int(m[1]) * 4 + int(m[2]) - 1
    return [((start + k) // 4, (start + k) % 4 + 1) for k in range(count)]


def _quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    return date(year, 3 * quarter - 2, 1), _month_end(year, 3 * quarter)


def _refuse_future_cohorts(periods: list[tuple[int, int]], first: str) -> None:
    """Refuse, before anything is written, cohorts that start after today.

    Refused rather than shifted to end at today, so the same arguments keep giving the same
    bytes whatever the date.
    """
    today = contract.today()
    if _quarter_bounds(*periods[-1])[0] <= today:
        return
    allowed = sum(_quarter_bounds(*q)[0] <= today for q in periods)
    last = f"{periods[-1][0]}-Q{periods[-1][1]}"
    hint = (f"at most {allowed} quarters from {first}" if allowed else
            f"a first quarter no later than {today.year}-Q{(today.month - 1) // 3 + 1}")
    raise ValueError(f"{len(periods)} quarters from {first} end with the cohort {last}, which starts "
                     f"after today ({today.isoformat()}), and future cohorts fail validation: "
                     f"ask for {hint}")


def _financial_year(day: date) -> int:
    """The year a financial year (April-March) containing ``day`` starts in."""
    return day.year if day.month >= 4 else day.year - 1


def _fy_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def _pct(value: float) -> str:
    return f"{value:.1f}"


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _add_days(day: date, days: int) -> date:
    return day + timedelta(days=int(days))


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a dataset is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
        count += 1
    _write_atomic(path, buffer.getvalue().encode("utf-8"))
    return count


# ---------------------------------------------------------------------------------------------
# Aggregate tables


def _areas(rng: np.random.Generator, n: int) -> tuple[list[_Area], list[list[object]]]:
    width = max(3, len(str(n)))
    n_regions = min(9, max(1, math.ceil(n / 8)))
    population = np.round(np.exp(rng.normal(12.9, 0.45, n)) / 100).astype(np.int64) * 100
    population = np.maximum(population, 20_000)
    size = population / population.mean()
    quality = rng.normal(0.0, 1.0, n)
    region_of = rng.permutation(np.arange(n) % n_regions)
    kinds = np.where(rng.random(n) < 0.6, "probation_area", "local_authority")
    n_families = 4 if n >= 8 else 3
    rank = np.argsort(np.argsort(population, kind="stable"), kind="stable")
    family = np.minimum(rank * n_families // n, n_families - 1)
    areas, rows = [], []
    region_ids = [f"synthetic-region-{chr(97 + r)}" for r in range(n_regions)]
    for i in range(n):
        number = f"{i + 1:0{width}d}"
        area = _Area(i, f"synthetic-area-{number}", f"Synthetic Area {number}",
                     int(population[i]), float(size[i]), float(quality[i]))
        areas.append(area)
        rows.append([area.area_id, area.name, str(kinds[i]), region_ids[region_of[i]],
                     _FAMILIES[int(family[i])], area.population])
    head: list[list[object]] = [
        [NATION_ID, "Synthetic Nation", "nation", None, None, int(population.sum())]
    ]
    for r, region_id in enumerate(region_ids):
        total = int(population[region_of == r].sum())
        head.append([region_id, f"Synthetic Region {chr(65 + r)}", "region", NATION_ID, None,
                     total])
    return areas, head + rows


def _due_text(rng: np.random.Generator, day: date) -> tuple[str, date | None]:
    """A due date as a plan might spell it, and the date the contract reads it as."""
    u = rng.random()
    if u < 0.58:
        return day.isoformat(), day
    if u < 0.68:
        if rng.random() < 0.7:
            return f"{day.day:02d}/{day.month:02d}/{day.year}", day
        return f"{day.day}/{day.month}/{day.year % 100:02d}", day
    end = _month_end(day.year, day.month)
    month = calendar.month_name[day.month]
    if u < 0.76:
        if rng.random() < 0.75:
            return f"{month} {day.year}", end
        return f"{calendar.month_abbr[day.month]} {day.year}", end
    if u < 0.83:
        fy = _financial_year(day)
        fq = (day.month - 4) % 12 // 3 + 1
        quarter_end = _month_end(fy + (fq == 4), (3 + 3 * fq - 1) % 12 + 1)
        return f"Q{fq} {_fy_label(fy)}", quarter_end
    if u < 0.89:
        return f"By {month} {day.year}", end
    if u < 0.92:
        return f"end of {month} {day.year}", end
    if u < 0.95:
        fy = _financial_year(day)
        return _fy_label(fy), date(fy + 1, 3, 31)
    return _pick(rng, _UNDATED), None


def _status(rng: np.random.Generator, due: date | None, as_at: date) -> str | None:
    if due is None:
        return _pick(rng, ("in_progress", "in_progress", "not_started")) if rng.random() < 0.8 \
            else None
    if due <= as_at:
        options, weights = ("complete", "missed", "in_progress", "dropped", ""), \
            (0.62, 0.18, 0.10, 0.05, 0.05)
    else:
        options, weights = ("not_started", "in_progress", "complete", ""), \
            (0.45, 0.40, 0.10, 0.05)
    choice = options[int(rng.choice(len(options), p=np.array(weights)))]
    return choice or None


def _plans(rng: np.random.Generator, areas: list[_Area], starts: date, ends: date,
           as_at: date) -> dict[str, list[list[object]]]:
    plans, strands, milestones, progress = [], [], [], []
    span = (ends - starts).days
    quarter_ends = []
    year, quarter = starts.year, (starts.month - 1) // 3 + 1
    while True:
        _, last = _quarter_bounds(year, quarter)
        if last > as_at:
            break
        quarter_ends.append(last)
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    for area in areas:
        plan_id = f"{area.area_id}-plan"
        plans.append([plan_id, area.area_id,
                      f"{area.name} Reducing Reoffending Action Plan {starts.year}-{ends.year}",
                      starts.isoformat(), ends.isoformat()])
        k = len(_CROSS_CUTTING) if area.index == 0 else int(rng.integers(1, 4))
        offset = (2 * area.index) % len(_CROSS_CUTTING)
        themes = [_CROSS_CUTTING[(offset + j) % len(_CROSS_CUTTING)] for j in range(k)]
        for s, code in enumerate([*_PATHWAYS, *themes], start=1):
            strand_id = f"{area.area_id}-s{s:02d}"
            pathway = _pick(rng, _SPELLINGS[code])
            if rng.random() < 0.15:
                others = [c for c in _SPELLINGS if c != code]
                pathway += "; " + _pick(rng, _SPELLINGS[_pick(rng, others)])
            options = _STRANDS[code]
            title, aim, measure, actions = options[int(rng.integers(len(options)))]
            lead = None if rng.random() < 0.07 else f"Synthetic Lead {int(rng.integers(1, 13))}"
            n_partners = int(rng.integers(0, 4))
            partner_ids = sorted(rng.choice(np.arange(1, 21), n_partners, replace=False))
            partners = "; ".join(f"Synthetic Partner {p}" for p in partner_ids) or None
            strands.append([strand_id, plan_id, pathway, title, aim,
                            measure if rng.random() < 0.85 else None,
                            actions if rng.random() < 0.9 else None, lead, partners])
            for m in range(1, int(rng.integers(2, 5)) + 1):
                due_day = _add_days(starts, rng.integers(min(90, span), span + 1))
                due, due_on = _due_text(rng, due_day)
                status = _status(rng, due_on, as_at)
                completed = None
                if status == "complete":
                    latest = min(as_at, due_on or as_at)
                    early = int(rng.integers(0, 120))
                    completed = max(starts, latest - timedelta(days=early)).isoformat()
                target = actual = None
                if rng.random() < 0.25:
                    goal = int(rng.choice([20, 50, 100, 150, 200, 250]))
                    target = goal
                    if status == "complete":
                        actual = goal + int(rng.integers(0, goal // 5 + 1))
                    elif status in ("missed", "in_progress", "dropped"):
                        actual = int(rng.integers(0, goal))
                    description = f"{goal} {_pick(rng, _QUANTITATIVE)}"
                else:
                    description = _pick(rng, _MILESTONES)
                milestones.append([f"{strand_id}-m{m}", strand_id, description, due, status,
                                   completed, target, actual])
            if quarter_ends and rng.random() < 0.5:
                n_returns = int(rng.integers(1, min(4, len(quarter_ends)) + 1))
                chosen = sorted(rng.choice(len(quarter_ends), n_returns, replace=False))
                for q in chosen:
                    rag = ("green", "amber", "red")[int(rng.choice(3, p=[0.5, 0.35, 0.15]))]
                    progress.append([strand_id, quarter_ends[q].isoformat(), rag,
                                     _pick(rng, _COMMENTS[rag])])
    return {"plans": plans, "strands": strands, "milestones": milestones, "progress": progress}


def _rating(rng: np.random.Generator, quality: float) -> str:
    x = 0.8 * quality + rng.normal(0.0, 0.6)
    index = 0 if x > 1.3 else 1 if x > 0.5 else 2 if x > -0.3 else 3 if x > -1.0 else \
        4 if x > -1.8 else 5
    text = RATING_SCALE[index]
    u = rng.random()
    return text.upper() if u < 0.04 else text.lower() if u < 0.08 else text


def _inspections(rng: np.random.Generator, areas: list[_Area], starts: date,
                 as_at: date) -> dict[str, list[list[object]]]:
    framework = load_framework(FRAMEWORK)
    criteria = list(framework.criteria.itertuples(index=False))
    section_weights = {
        str(s.section): float(s.overall_weight)
        for s in framework.sections.itertuples(index=False)
        if not math.isnan(float(s.overall_weight))
    }
    span = max(1, (as_at - starts).days)
    inspections, scores = [], []
    for area in areas:
        published = _add_days(starts, rng.integers(span // 8, max(span // 8 + 1, span * 2 // 3)))
        visits = [("full", published, area.quality)]
        follow_up = _add_days(published, rng.integers(300, 541))
        if rng.random() < 0.35 and follow_up <= as_at:
            visits.append(("follow-up", follow_up, area.quality + 0.5))
        for kind, day, quality in visits:
            inspection_id = f"{area.area_id}-{FRAMEWORK}" + ("-follow-up" if kind != "full" else "")
            title = ("Effective Supervision Inspection" if kind == "full"
                     else "Effective Supervision Inspection follow-up") + f" of {area.name}"
            inspections.append([inspection_id, area.area_id, FRAMEWORK, day.isoformat(), kind,
                                title])
            scored: dict[str, list[tuple[float, float]]] = {}
            for c in criteria:
                if c.scoring == "rated":
                    value = _rating(rng, quality)
                else:
                    score = float(np.clip(round(68 + 10 * quality + rng.normal(0, 8)), 5, 100))
                    scored.setdefault(str(c.section), []).append((score, float(c.weight)))
                    value = str(int(score))
                scores.append([inspection_id, c.criterion, value])
            if rng.random() < 0.6:
                overall = 0.0
                for section, weight in section_weights.items():
                    pairs = scored[section]
                    mean = sum(s * w for s, w in pairs) / sum(w for _, w in pairs)
                    overall += weight * mean
                    printed = round(mean)
                    if rng.random() < 0.05:  # a sheet that disagrees with its own criteria
                        printed = int(np.clip(printed + rng.choice([-2, -1, 1, 2]), 0, 100))
                    scores.append([inspection_id, section, str(printed)])
                scores.append([inspection_id, "overall", str(round(overall))])
    return {"inspections": inspections, "inspection_scores": scores}


def _recommendations(rng: np.random.Generator, inspections: list[list[object]],
                     plans: list[list[object]], strands: list[list[object]], starts: date,
                     as_at: date) -> list[list[object]]:
    """4-12 recommendations per inspection, answered only by strands of the area's own plans."""
    area_of_plan = {str(plan[0]): str(plan[1]) for plan in plans}
    strands_of: dict[str, list[str]] = {}
    for strand in strands:
        strands_of.setdefault(area_of_plan[str(strand[1])], []).append(str(strand[0]))
    span = max(1, (as_at - starts).days)
    rows: list[list[object]] = []
    for inspection_id, area_id, _, published, *_ in inspections:
        day = date.fromisoformat(str(published))
        own = strands_of.get(str(area_id), [])
        age = min(1.0, max(0.0, (as_at - day).days / span))  # 0 newest, 1 oldest
        themes = rng.permutation(len(_RECOMMENDATIONS))[: int(rng.integers(4, 13))]
        for number, theme in enumerate(themes, start=1):
            addressed_by = None
            if own and rng.random() < 0.6:
                k = min(len(own), int(rng.integers(1, 4)))
                chosen = sorted(rng.choice(len(own), k, replace=False))
                addressed_by = ";".join(own[i] for i in chosen)
            due = None
            if rng.random() < 0.15:
                earliest, latest = _add_months(day, 6), _add_months(day, 18)
                due = _add_days(earliest, rng.integers(0, (latest - earliest).days + 1)).isoformat()
            u = rng.random()
            status = "implemented" if u < 0.2 * age else "superseded" if u < 0.3 * age else \
                ("open" if rng.random() < 0.5 else None)
            rows.append([f"{inspection_id}-r{number:02d}", inspection_id, number,
                         _RECOMMENDATIONS[int(theme)], addressed_by, due, status])
    return rows


def _indicators(rng: np.random.Generator, areas: list[_Area],
                years: list[int]) -> list[list[object]]:
    rows = []
    for k, year in enumerate(years):
        for ind in _INDICATORS:
            scale = np.array([a.size for a in areas]) if ind.unit == "count" else 1.0
            drift = 1.0 + 0.02 * k * (1 if ind.better == "higher" else -1)
            values = ind.mean * drift * scale + rng.normal(0, ind.spread, len(areas)) * \
                (np.sqrt(scale) if ind.unit == "count" else 1.0)
            low, high = (0.0, 100.0) if ind.unit == "percent" else (0.0, math.inf)
            values = np.clip(values, low + (1.0 if ind.unit == "days" else 0.0), high)
            if ind.unit == "count":
                values = np.round(values)
            comparator = None if ind.unit == "count" else _pct(float(values.mean()))
            for area, value in zip(areas, values, strict=True):
                target = ind.target
                if ind.unit == "count":
                    target = float(round(ind.mean * 1.1 * area.size))
                text = str(int(value)) if ind.unit == "count" else _pct(float(value))
                rows.append([area.area_id, _fy_label(year), ind.name, text,
                             None if target is None else f"{target:g}", comparator,
                             "Synthetic Nation average" if comparator else None,
                             ind.unit, ind.better])
    return rows


def _reoffending(rng: np.random.Generator, areas: list[_Area], labels: list[str],
                 offenders_per_quarter: int) -> list[_Cohort]:
    cohorts = []
    for area in areas:
        base = rng.uniform(0.30, 0.50)
        frequency = rng.uniform(2.6, 3.8)
        serious_share = rng.uniform(0.01, 0.04)
        trend = rng.normal(-0.002, 0.001)
        for k, label in enumerate(labels):
            n = max(1, round(offenders_per_quarter * area.size * math.exp(rng.normal(0, 0.05))))
            p = float(np.clip(base + trend * k + rng.normal(0, 0.01), 0.25, 0.60))
            r = int(rng.binomial(n, p))
            extra = int(rng.poisson(r * (frequency - 1))) if r else 0
            serious = int(rng.binomial(r, serious_share))
            actual = 100 * r / n
            predicted = 0.5 * (100 * p) + 0.5 * actual + rng.normal(0, 1.0)
            predicted = float(np.clip(predicted, actual - 4, actual + 4))
            predicted = float(np.clip(predicted, 0.5, 99.5))
            cohorts.append(_Cohort(area.index, label, n, r, r + extra, serious, _pct(predicted)))
    return cohorts


# ---------------------------------------------------------------------------------------------
# Record level


def _solve_intercept(risk: np.ndarray, target: float) -> np.ndarray:
    """Probabilities sigmoid(c + risk) whose mean is ``target``, by Newton's method on c."""
    c = math.log(target / (1 - target)) - float(risk.mean())
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(c + risk)))
        gap = float(p.mean()) - target
        if abs(gap) < 1e-12:
            break
        c -= gap / max(float((p * (1 - p)).mean()), 1e-12)
    return 1.0 / (1.0 + np.exp(-(c + risk)))


def _area_records(seed: int, area: _Area, cohorts: list[_Cohort]) -> pa.Table:
    rng = np.random.default_rng([seed, 7919, area.index])
    total = sum(c.offenders for c in cohorts)
    cohort_idx = np.empty(total, dtype=np.int32)
    reoffended = np.zeros(total, dtype=np.int8)
    reoffences = np.zeros(total, dtype=np.int32)
    predicted = np.empty(total, dtype=np.float64)
    serious = np.zeros(total, dtype=np.int8)
    age = rng.choice(len(_AGE_BANDS), size=total, p=_AGE_SHARE).astype(np.int32)
    gender = (rng.random(total) < 0.14).astype(np.int32)
    risk = _AGE_LOGIT[age] + _GENDER_LOGIT[gender] + rng.normal(0.0, 0.8, total)
    start = 0
    for k, c in enumerate(cohorts):
        stop = start + c.offenders
        cohort_idx[start:stop] = k
        block = risk[start:stop]
        # Reoffenders drawn without replacement, weighted by risk (Gumbel top-k): exactly
        # c.reoffenders of them, and more of the high-risk offenders.
        keys = block + rng.gumbel(size=c.offenders)
        chosen = np.argsort(-keys, kind="stable")[: c.reoffenders]
        reoffended[start + chosen] = 1
        if c.reoffenders:
            weights = rng.gamma(0.7, 1.0, c.reoffenders)
            extra = rng.multinomial(c.reoffences - c.reoffenders, weights / weights.sum())
            reoffences[start + chosen] = 1 + extra
            if c.serious:
                serious[start + rng.choice(chosen, c.serious, replace=False)] = 1
        predicted[start:stop] = _solve_intercept(block, float(c.predicted_rate) / 100)
        start = stop

    def labels(values: Sequence[str], index: np.ndarray) -> pa.Array:
        return pa.DictionaryArray.from_arrays(pa.array(index, pa.int32()),
                                              pa.array(values, pa.string())).cast(pa.string())

    return pa.Table.from_arrays([
        labels([area.area_id], np.zeros(total, dtype=np.int32)),
        labels([c.label for c in cohorts], cohort_idx),
        labels([MEASURE], np.zeros(total, dtype=np.int32)),
        pa.array(reoffended),
        pa.array(reoffences),
        pa.array(predicted),
        pa.array(serious),
        labels(_GENDERS, gender),
        labels(_AGE_BANDS, age),
    ], schema=_RECORD_SCHEMA)


def _write_records(path: Path, seed: int, areas: list[_Area], cohorts: list[_Cohort]) -> int:
    by_area: dict[int, list[_Cohort]] = {}
    for c in cohorts:
        by_area.setdefault(c.area, []).append(c)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    rows = 0
    try:
        with pq.ParquetWriter(tmp, _RECORD_SCHEMA, compression="zstd", version="2.6",
                              write_statistics=True) as writer:
            for area in areas:
                table = _area_records(seed, area, by_area.get(area.index, []))
                writer.write_table(table, row_group_size=1 << 20)
                rows += table.num_rows
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return rows


# ---------------------------------------------------------------------------------------------
# Entry point


def synthesise(
    out_dir: Path,
    *,
    areas: int,
    quarters: int,
    offenders_per_quarter: int = 400,
    seed: int = 0,
    record_level: bool = False,
    first_quarter: str = "2019-Q1",
) -> dict[str, int]:
    """Write a complete synthetic dataset that follows the data contract; return rows per table.

    The same arguments always give byte-identical files: the tables are drawn from
    ``numpy.random.default_rng(seed)``, each area's offender records from its own generator
    seeded with ``(seed, area)``, and no date depends on today. Dates run from the first
    day of ``first_quarter``; statuses and returns are as at the end of the last cohort quarter.
    A last cohort starting after today (``contract.today()``) is refused with ValueError, not
    written: the loader refuses future cohorts, so the dataset would fail validation.
    With ``record_level`` also writes ``offenders.parquet``, one row per offender, whose
    aggregate equals the counts in ``reoffending.csv``.
    """
    if areas < 1 or quarters < 1 or offenders_per_quarter < 1:
        raise ValueError("areas, quarters and offenders_per_quarter must each be at least 1")
    periods = _quarters(first_quarter, quarters)
    _refuse_future_cohorts(periods, first_quarter)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    labels = [f"{y}-Q{q}" for y, q in periods]
    starts = _quarter_bounds(*periods[0])[0]
    as_at = _quarter_bounds(*periods[-1])[1]
    ends = max(as_at, date(starts.year + 3, starts.month, 1) - timedelta(days=1))
    years = list(range(_financial_year(starts), _financial_year(as_at) + 1))

    rng = np.random.default_rng(seed)
    area_list, area_rows = _areas(rng, areas)
    plan_tables = _plans(rng, area_list, starts, ends, as_at)
    inspection_tables = _inspections(rng, area_list, starts, as_at)
    indicator_rows = _indicators(rng, area_list, years)
    cohorts = _reoffending(rng, area_list, labels, offenders_per_quarter)
    # Drawn last, so adding recommendations left every other table's bytes as they were.
    recommendation_rows = _recommendations(rng, inspection_tables["inspections"],
                                           plan_tables["plans"], plan_tables["strands"],
                                           starts, as_at)
    ids = [a.area_id for a in area_list]
    reoffending_rows = [
        [ids[c.area], c.label, MEASURE, c.offenders, c.reoffenders,
         _pct(100 * c.reoffenders / c.offenders), c.reoffences, c.predicted_rate, c.serious]
        for c in cohorts
    ]

    columns = {
        "areas": ("area_id", "name", "area_type", "parent_id", "family_group", "population"),
        "plans": ("plan_id", "area_id", "title", "starts", "ends"),
        "strands": ("strand_id", "plan_id", "pathway", "title", "aim", "measure", "actions",
                    "lead", "partners"),
        "milestones": ("milestone_id", "strand_id", "description", "due", "status",
                       "completed_on", "target", "actual"),
        "progress": ("strand_id", "reported_on", "rag", "comment"),
        "inspections": ("inspection_id", "area_id", "framework", "published", "kind", "title"),
        "inspection_scores": ("inspection_id", "criterion", "value"),
        "recommendations": ("recommendation_id", "inspection_id", "number", "text",
                            "addressed_by", "due", "status"),
        "indicators": ("area_id", "period", "indicator", "value", "target", "comparator",
                       "comparator_label", "unit", "better"),
        "reoffending": ("area_id", "cohort", "measure", "offenders", "reoffenders", "rate",
                        "reoffences", "predicted_rate", "serious_reoffences"),
    }
    rows = {"areas": area_rows, **plan_tables, **inspection_tables,
            "recommendations": recommendation_rows, "indicators": indicator_rows,
            "reoffending": reoffending_rows}
    counts = {name: _write_csv(out_dir / f"{name}.csv", cols, rows[name])
              for name, cols in columns.items()}
    if record_level:
        counts["offenders"] = _write_records(out_dir / "offenders.parquet", seed, area_list,
                                             cohorts)
    log.info("synthesised %s (seed %d): %s", out_dir, seed,
             ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return counts
