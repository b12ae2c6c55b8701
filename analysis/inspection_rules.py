"""The inspection scores' rules: each value against its framework, and a rated inspection's figures."""

from __future__ import annotations

from . import contract
from .contract import to_number
from .frameworks import available, canonical_rating, load_framework
from .problems import Problem
from .reading import Raw as _Raw
from .reading import cell_of as _get

__all__ = ["check_rated", "check_scores", "criterion_code"]


def check_scores(raws: dict[str, _Raw], problems: list[Problem]) -> None:
    if "inspection_scores" not in raws or "inspections" not in raws:
        return
    raw = raws["inspection_scores"]
    insp = raws["inspections"].frame
    if not {"inspection_id", "framework"} <= set(insp.columns):
        return
    framework_of = dict(zip(insp["inspection_id"], insp["framework"], strict=False))
    seen: dict[tuple[str, str], int] = {}
    for row, rec in raw.frame.iterrows():
        fid = framework_of.get(_get(rec, "inspection_id"))
        if fid is None or fid not in available() or _get(rec, "criterion") is None:
            continue  # the dangling id or unknown framework is reported on its own
        # 'Total' and 'total' are one code: the key check compares the text as typed.
        code = criterion_code(rec["criterion"])
        key = (str(rec["inspection_id"]), code)
        if key in seen and raw.frame.at[seen[key], "criterion"] != rec["criterion"]:
            problems.append(Problem(raw.file, row, "criterion", rec["criterion"], "unique",
                                    f"row {seen[key]} gives {code} of {key[0]} already (as "
                                    f"{raw.frame.at[seen[key], 'criterion']!r})",
                                    table="inspection_scores"))
        seen.setdefault(key, row)
        framework = load_framework(fid)
        scoring = framework.scoring_of(rec["criterion"])
        value = _get(rec, "value") or ""
        if scoring == "scored" and contract._is_number(value) and 0 < to_number(value) < 1:
            problems.append(Problem(raw.file, row, "value", value, "percentage",
                                    f"{rec['criterion']} takes a percentage: {value} reads as "
                                    f"{value}%, not {to_number(value) * 100:g}% (give 72 for 72%)",
                                    severity="warning", table="inspection_scores"))
        rated = scoring == "rated" or (scoring == "overall" and framework.scheme == "rated")
        if scoring is None:
            problems.append(Problem(raw.file, row, "criterion", rec["criterion"],
                                    "known-criterion", f"{fid} has no criterion "
                                    f"{rec['criterion']!r}" + _codes_hint(framework),
                                    table="inspection_scores"))
        elif rated and canonical_rating(value, framework.scale) is None:
            problems.append(Problem(raw.file, row, "value", value, "rating",
                                    f"{rec['criterion']} of {fid} is rated: one of "
                                    + ", ".join(framework.scale), table="inspection_scores"))
        elif scoring == "total" and value and _whole_points(value, framework) is None:
            problems.append(Problem(raw.file, row, "value", value, "total",
                                    f"the total of {fid} is whole points from 0 to "
                                    f"{framework.max_total}", table="inspection_scores"))
        elif not rated and scoring != "total" and value and not (
            contract._is_number(value) and 0 <= to_number(value) <= 100
        ):
            problems.append(Problem(raw.file, row, "value", value, "percentage",
                                    f"{rec['criterion']} is scored: a percentage from 0 to 100",
                                    table="inspection_scores"))


def check_rated(raws: dict[str, _Raw], problems: list[Problem]) -> None:
    """Warnings a rated inspection's figures earn: a printed total the standards do not sum to,
    a printed rating outside the band of the total, and two inspections of one area under one
    framework on one day (which is the previous one cannot be told)."""
    if "inspections" not in raws or not {"inspection_id", "framework", "area_id", "published"} <= set(
            raws["inspections"].frame.columns):
        return
    insp = raws["inspections"]
    day = insp.frame.assign(_day=insp.frame["published"].map(lambda v: str(v).strip()))
    for _, same in day.groupby(["area_id", "framework", "_day"], sort=False):
        for row in same.index[1:]:
            problems.append(Problem(insp.file, row, "published", same.at[row, "published"],
                                    "one-a-day", f"{same.at[same.index[0], 'inspection_id']} of the "
                                    "same area and framework is published the same day: which came "
                                    "first cannot be told (the identifier's order is used)",
                                    severity="warning", table="inspections"))
    if "inspection_scores" not in raws:
        return
    raw = raws["inspection_scores"]
    framework_of = dict(zip(insp.frame["inspection_id"], insp.frame["framework"], strict=False))
    for inspection_id, rows in raw.frame.groupby("inspection_id", sort=False):
        fid = framework_of.get(inspection_id)
        if fid not in available() or not load_framework(fid).bands:
            continue
        framework = load_framework(fid)
        codes = {criterion_code(c): (row, v) for row, c, v in zip(rows.index, rows["criterion"],
                                                          rows["value"], strict=True)
                 if isinstance(c, str) and isinstance(v, str)}
        points = [framework.points.get(canonical_rating(codes[c][1], framework.scale) or "")
                  for c in framework.counted if c in codes]
        total = sum(points) if len(points) == len(framework.counted) and None not in points else None
        printed_total = _whole_points(codes["total"][1], framework) if "total" in codes else None
        if printed_total is not None and total is not None and printed_total != total:
            row, value = codes["total"]
            problems.append(Problem(raw.file, row, "value", value, "total-agrees",
                                    f"the printed total of {inspection_id} is {value}; its counted "
                                    f"standards sum to {total}", severity="warning",
                                    table="inspection_scores"))
        if total is None:
            total = printed_total
        band = framework.band_of(total) if total is not None else None
        printed = canonical_rating(codes["overall"][1], framework.scale) if "overall" in codes else None
        if band is not None and printed is not None and printed != band.rating:
            row, value = codes["overall"]
            problems.append(Problem(raw.file, row, "value", value, "band-agrees",
                                    f"{inspection_id} prints {printed}, but its {total} points fall "
                                    f"in the {band.rating} band ({band.low} to {band.high})",
                                    severity="warning", table="inspection_scores"))


def _whole_points(value: str, framework) -> int | None:
    """A total as the total rule accepts it (whole points, 0 to the framework's most), else None."""
    if "%" in value or not contract._is_number(value):
        return None
    number = to_number(value)
    return int(number) if float(number).is_integer() and 0 <= number <= (framework.max_total or 0) else None


def criterion_code(criterion: str) -> str:
    """A criterion code as the analysis reads it: 'overall' and 'total' in lower case, the rest
    upper ('b1' is B1)."""
    folded = criterion.strip().lower()
    return folded if folded in ("overall", "total") else criterion.strip().upper()


def _codes_hint(framework) -> str:
    """The codes a framework takes, briefly: a reader who typed 2.5 sees 2.1 to 2.4 exist."""
    codes = list(framework.criteria["criterion"]) + ["overall"] + (["total"] if framework.bands else [])
    shown = ", ".join(codes[:8]) + (f" ... {codes[-1]}" if len(codes) > 8 else "")
    return f" (it takes {shown})"
