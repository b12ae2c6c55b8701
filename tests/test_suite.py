"""The suite itself: nothing in it depends on how fast the machine is."""

from hypothesis import settings


def test_hypothesis_has_no_deadline():
    # A busy CI machine made a 200 ms Hypothesis deadline fail at random (issue 11).
    assert settings().deadline is None
