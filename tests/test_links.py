"""Tests for analysis.links and the overview's links to each area's report."""

from __future__ import annotations

import re

import pandas as pd

from analysis import tables
from analysis.links import report_href, report_link


def test_report_href_follows_the_published_layout_and_refuses_other_ids() -> None:
    assert report_href("derby") == "../derby/derby.html"
    assert report_href("east-midlands", "pdf") == "../east-midlands/east-midlands.pdf"
    # Ids the build would not write a report under: no link rather than a wrong one.
    for bad in ("../etc", "Derby", "", None, "a/b", "-x", "a" * 65):
        assert report_href(bad) is None


def test_report_link_escapes_the_name() -> None:
    assert report_link("derby", "Derby & <b>") == '<a href="../derby/derby.html">Derby &amp; &lt;b&gt;</a>'
    assert report_link("Not an id", "<i>x</i>") == "&lt;i&gt;x&lt;/i&gt;"


def test_overview_glance_links_each_area_name_to_its_report() -> None:
    glance = pd.DataFrame({
        "area_id": ["derby", "odd id"], "name": ["Derby", '<script>alert("x")</script>'],
        "strands": [3, None], "behind": [1, None], "overdue_milestones": [2, None],
        "overall_score": [None, None], "recommendations": [None, None], "unanswered": [None, None],
        "late": [None, None], "reoffending": [None, None],
    })
    page = tables.glance_table(glance).as_raw_html()
    cells = re.findall(r'<td headers="[^"]*Area"[^>]*>(.*?)</td>', page, re.DOTALL)
    assert cells[0].strip() == '<a href="../derby/derby.html">Derby</a>'
    assert cells[1].strip() == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"  # no report id: no link
    assert "<script" not in page
