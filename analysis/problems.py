"""A problem found in an analyst's data: where it is, what it holds and which rule it breaks."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd


@dataclass(frozen=True, order=True)
class Problem:
    """One broken rule, named the way the analyst will find it in the file.

    ``row`` is the row number a spreadsheet shows (the header is row 1); ``None`` means the
    problem concerns the whole file or a whole column.
    """

    file: str
    row: int | None
    column: str
    value: str
    rule: str
    message: str
    severity: str = "error"  # "error" stops a build; "warning" is reported and carried on
    table: str = ""

    def __str__(self) -> str:
        where = f"{self.file}" + (f", row {self.row}" if self.row is not None else "")
        column = f", column {self.column}" if self.column else ""
        value = f", value {self.value!r}" if self.value != "" else ""
        return f"{where}{column}{value}: [{self.rule}] {self.message}"


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """Problems as a table, sorted by file and row, for printing or export."""
    columns = ["severity", "file", "row", "column", "value", "rule", "message", "table"]
    if not problems:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame([asdict(p) for p in problems])[columns]
    frame["row"] = frame["row"].astype("Int64")
    return frame.sort_values(["severity", "file", "row", "column"], na_position="first")
