"""`workbook import ons-geography`: councils and partnerships into areas, police forces into groupings."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analysis.cli import app
from analysis.importing import import_ons_geography
from analysis.importing.ons import LookupShapeError, read_lookup
from analysis.loader import load_dataset

LOOKUP = Path(__file__).parent / "data" / "ons" / "LAD23_CSP23_PFA23_EW_LU.csv"
MOJ = Path(__file__).parent / "data" / "moj" / "folder"


def _table(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "data"
    shutil.copytree(MOJ, out)
    return out


def test_the_lookups_columns_are_read_whatever_the_year():
    rows = read_lookup(LOOKUP)
    assert len(rows) == 5
    assert rows[2] == {"LADCD": "E07000040", "LADNM": "East Devon", "CSPCD": "E22000902",
                       "CSPNM": "East and Mid Devon", "PFACD": "E23000900", "PFANM": "Devon and Cornwall"}


def test_areas_already_there_are_kept_and_new_ones_added_under_their_partnership(folder: Path):
    result = import_ons_geography(LOOKUP, folder, parent="south-west")
    assert result.written
    areas = {r["area_id"]: r for r in _table(folder / "areas.csv")}
    # Plymouth CSP is matched by name and kind (its name adds "Community Safety Partnership"),
    # having no code, and gains the lookup's CSP code. The analyst's Torbay CSP carries another
    # code (the council's, as the MoJ tool names it), so it is another place than the lookup's
    # E22000901: kept exactly as it was, and the lookup's partnership is a new row.
    assert areas["plymouth"]["code"] == "E22000900"
    assert areas["torbay"] == {"area_id": "torbay", "name": "Torbay",
                               "area_type": "community_safety_partnership",
                               "parent_id": "south-west", "code": "E06000027"}
    assert areas["torbay-csp"]["code"] == "E22000901"
    # A code is matched within its kind: the council Torbay is a new row under its partnership.
    assert areas["torbay-council"] == {"area_id": "torbay-council", "name": "Torbay",
                                       "area_type": "local_authority", "parent_id": "torbay-csp",
                                       "code": "E06000027"}
    # A partnership of two councils: one CSP row in the region, each council under it.
    assert areas["east-and-mid-devon"]["parent_id"] == "south-west"
    assert areas["east-devon"] == {"area_id": "east-devon", "name": "East Devon",
                                   "area_type": "local_authority",
                                   "parent_id": "east-and-mid-devon", "code": "E07000040"}
    assert areas["mid-devon"]["parent_id"] == "east-and-mid-devon"
    # A council named as its partnership is: a second id, not a clash.
    assert areas["plymouth-council"]["parent_id"] == "plymouth"
    groupings = {(r["area_id"], r["grouping"]): r for r in _table(folder / "groupings.csv")}
    assert groupings[("east-devon", "police force area")]["group"] == "Devon and Cornwall"
    assert groupings[("bristol", "police force area")]["group_code"] == "E23000901"
    assert load_dataset(folder).ok


def test_a_second_import_changes_nothing(folder: Path):
    import_ons_geography(LOOKUP, folder, parent="south-west")
    before = [(folder / n).read_bytes() for n in ("areas.csv", "groupings.csv")]
    again = import_ons_geography(LOOKUP, folder, parent="south-west")
    assert not again.written and not again.added
    assert [(folder / n).read_bytes() for n in ("areas.csv", "groupings.csv")] == before


def test_a_different_group_is_a_conflict_unless_replaced(folder: Path):
    (folder / "groupings.csv").write_text("area_id,grouping,group\nbristol,police force area,Avon\n",
                                          encoding="utf-8")
    result = import_ons_geography(LOOKUP, folder)
    assert result.groupings.conflicts == ["bristol / police force area: group Avon here, Avon and Somerset "
                                          "imported; group_code blank here, E23000901 imported"]
    assert _table(folder / "groupings.csv")[0]["group"] == "Avon"
    import_ons_geography(LOOKUP, folder, replace=True)
    assert _table(folder / "groupings.csv")[0]["group"] == "Avon and Somerset"


def test_a_file_without_the_lookups_columns_is_refused(tmp_path: Path, folder: Path):
    other = tmp_path / "lookup.csv"
    other.write_text("LAD23CD,LAD23NM\nE06000026,Plymouth\n", encoding="utf-8")
    with pytest.raises(LookupShapeError, match="no column for CSPyyCD, CSPyyNM, PFAyyCD, PFAyyNM"):
        import_ons_geography(other, folder)
    result = CliRunner().invoke(app, ["import", "ons-geography", str(other), "--into", str(folder)])
    assert result.exit_code == 1 and "CSPyyCD" in result.output


def test_an_unknown_parent_is_refused_before_anything_is_written(folder: Path):
    before = (folder / "areas.csv").read_bytes()
    with pytest.raises(LookupShapeError, match="--parent 'wessex'"):
        import_ons_geography(LOOKUP, folder, parent="wessex")
    assert (folder / "areas.csv").read_bytes() == before


def test_two_places_of_one_name_stay_two(tmp_path: Path, folder: Path):
    # Newport in Gwent and Newport Pagnell's partnership "Newport" in Thames Valley: other codes.
    lookup = tmp_path / "lookup.csv"
    lookup.write_text("LAD23CD,LAD23NM,CSP23CD,CSP23NM,PFA23CD,PFA23NM\n"
                      "W06000022,Newport,W22000001,Newport,W23000001,Gwent\n"
                      "E07000099,Newport Pagnell,E22000002,Newport,E23000002,Thames Valley\n",
                      encoding="utf-8")
    import_ons_geography(lookup, folder)
    areas = {r["area_id"]: r for r in _table(folder / "areas.csv")}
    assert (areas["newport"]["code"], areas["newport-csp"]["code"]) == ("W22000001", "E22000002")
    assert areas["newport-pagnell"]["parent_id"] == "newport-csp"
    groupings = {r["area_id"]: r["group"] for r in _table(folder / "groupings.csv")}
    assert (groupings["newport"], groupings["newport-csp"]) == ("Gwent", "Thames Valley")


@pytest.mark.parametrize(("rows", "message"), [
    ("E06000026,Plymouth,E22000900,Plymouth,E23000900,Devon and Cornwall\n"
     "E06000026,Plymouth,E22000900,Plymouth,E23000901,Avon\n", "is in two police force areas"),
    ("E06000026,Ply\x1b[31mmouth,E22000900,Plymouth,E23000900,Devon\n", "holds control characters"),
    ("E0600002,Plymouth,E22000900,Plymouth,E23000900,Devon\n", "is not a GSS code"),
])
def test_a_lookup_that_contradicts_itself_or_holds_bad_text_is_refused(tmp_path: Path, folder: Path,
                                                                       rows: str, message: str):
    lookup = tmp_path / "lookup.csv"
    lookup.write_text("LAD23CD,LAD23NM,CSP23CD,CSP23NM,PFA23CD,PFA23NM\n" + rows, encoding="utf-8")
    before = (folder / "areas.csv").read_bytes()
    with pytest.raises(LookupShapeError, match=message):
        import_ons_geography(lookup, folder)
    assert (folder / "areas.csv").read_bytes() == before


def test_both_files_or_neither(folder: Path, monkeypatch: pytest.MonkeyPatch):
    from analysis.importing import csvfile

    before = (folder / "areas.csv").read_bytes()
    real = csvfile.atomic_write_text
    calls = []

    def second_fails(path, text, mode=0o644):
        calls.append(path.name)
        if len(calls) == 2:
            raise PermissionError(13, "Permission denied", str(path))
        real(path, text, mode)

    monkeypatch.setattr(csvfile, "atomic_write_text", second_fails)
    with pytest.raises(PermissionError):
        import_ons_geography(LOOKUP, folder, parent="south-west")
    assert calls == ["groupings.csv", "areas.csv"]
    assert not (folder / "groupings.csv").exists()  # written first, then taken back
    assert (folder / "areas.csv").read_bytes() == before


def test_an_unknown_parent_is_a_usage_error(folder: Path):
    result = CliRunner().invoke(app, ["import", "ons-geography", str(LOOKUP), "--into", str(folder),
                                      "--parent", "wessex"])
    assert result.exit_code == 2 and "--parent 'wessex'" in result.output
