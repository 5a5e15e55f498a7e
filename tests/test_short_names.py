"""Rules' short names for the calendar's lane headers (issue 13): no two rules share one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from oncall_desktop.summaries import short_names


def test_initials_when_they_differ_and_a_letter_more_where_they_clash() -> None:
    demo = [
        "Platform primary",
        "Platform secondary",
        "Follow the sun",
        "Business hours (Americas)",
        "Default",
    ]
    assert short_names(demo) == ["PP", "PS", "FTS", "BHA", "D"]
    assert short_names(["Platform primary", "Payments primary", "Database", "Default"]) == [
        "PlP",
        "PaP",
        "Da",
        "De",
    ]
    assert short_names(["Tier 1", "Tier 2", "Tier 1"]) == ["T1·1", "T2", "T1·2"]


@given(st.lists(st.text(alphabet="AaBb -P", min_size=0, max_size=12), min_size=1, max_size=12))
def test_labels_are_never_alike(names: list[str]) -> None:
    labels = short_names(names)
    assert len(labels) == len(names)
    assert len({label.casefold() for label in labels}) == len(labels)
    assert all(labels)
