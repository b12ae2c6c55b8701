"""Published data read into the workbook's input tables: MoJ proven reoffending and ONS geography."""

from .moj import MojImport, import_moj
from .ons import OnsImport, import_ons_geography

__all__ = ["MojImport", "OnsImport", "import_moj", "import_ons_geography"]
