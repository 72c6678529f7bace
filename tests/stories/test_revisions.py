"""Material edits: headline and paragraph changes count, whitespace does not."""

from __future__ import annotations

from monitor.stories.revisions import material_edit, paragraphs

OLD = "Title\n\nOne.\n\nTwo.\n\nThree."


def test_whitespace_and_line_breaks_inside_paragraphs_are_not_edits() -> None:
    assert material_edit("Title", OLD, " Title ", "Title\n\nOne.\n \nTwo.\n\nThree.  ") is None
    assert paragraphs("a\n\n\n\nb  c\n") == ["a", "b c"]


def test_reworded_added_and_removed_paragraphs_are_counted() -> None:
    edit = material_edit("Title", OLD, "Title", "Title\n\nOne.\n\nTwo, corrected.\n\nFour.")
    assert edit is not None
    assert not edit.title_changed
    assert (edit.paragraphs_added, edit.paragraphs_removed) == (2, 2)
    assert "-Two." in edit.diff and "+Two, corrected." in edit.diff
    assert edit.summary == "+2/-2 paragraphs"


def test_a_new_headline_alone_is_material() -> None:
    edit = material_edit("Title", OLD, "New title", OLD.replace("Title", "New title", 1))
    assert edit is not None and edit.title_changed
    assert edit.summary.startswith("title changed")
