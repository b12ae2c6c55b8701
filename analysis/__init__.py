"""Reducing Reoffending Workbook: validate and analyse action plans, inspections and reoffending."""

from importlib.metadata import PackageNotFoundError, version

from .contract import TABLES
from .dates import parse_due
from .loader import Dataset, load_dataset
from .pathways import CROSS_CUTTING, SEVEN_PATHWAYS, resolve_pathway
from .problems import Problem

try:
    __version__ = version("reoffending-workbook")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

__all__ = [
    "CROSS_CUTTING",
    "SEVEN_PATHWAYS",
    "TABLES",
    "Dataset",
    "Problem",
    "__version__",
    "load_dataset",
    "parse_due",
    "resolve_pathway",
]
