from pathlib import Path

import pytest

from analysis.files import atomic_path, atomic_write_text


def test_a_failed_write_leaves_nothing_under_the_final_name(tmp_path: Path) -> None:
    out = tmp_path / "x.html"
    with pytest.raises(ValueError), atomic_path(out) as tmp:
        tmp.write_text("partial")
        raise ValueError("boom")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rewrite_keeps_the_previous_complete_file(tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    atomic_write_text(out, "complete\n")
    with pytest.raises(KeyboardInterrupt), atomic_path(out) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert out.read_text() == "complete\n"
    assert list(tmp_path.iterdir()) == [out]
