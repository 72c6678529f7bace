"""The pure story decision: every branch, and properties over arbitrary inputs."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.stories.decide import (
    Duplicate,
    Failed,
    New,
    NotMatching,
    SameText,
    Skip,
    StoredArticle,
    StoryState,
    Syndicated,
    Unchanged,
    Updated,
    decide,
)
from monitor.stories.outcomes import StoreOutcome

TITLE = "Russia and Cuba sign an energy accord"
TEXT = f"{TITLE}\n\nFirst paragraph about the accord.\n\nSecond paragraph with details."


@dataclass(frozen=True)
class Page:
    """The plain data decide() reads of an analysed page."""

    error: str | None = None
    skip_reason: str | None = None
    canonical_url: str | None = "https://news.example/a"
    matched: bool = True
    near_miss: bool = False
    has_article: bool = True
    title: str = TITLE
    text: str = TEXT


STORY = StoryState(7)
NEAR_MISS_STORY = StoryState(8, near_miss=True)
DEMOTED_STORY = StoryState(9, near_miss=True, demoted=True)
STORED = StoredArticle(3, "https://news.example/a", TITLE, TEXT, STORY)


def test_an_analysis_error_is_a_failure_not_a_skip() -> None:
    decision = decide(Page(error="TypeError: boom", has_article=False), None, (), None)
    assert decision == Failed("TypeError: boom")
    assert decision.outcome is StoreOutcome.ERROR


def test_a_page_without_article_is_skipped_with_its_reason() -> None:
    assert decide(Page(has_article=False, skip_reason="index_page"), None, (), None) == Skip(
        "index_page"
    )
    assert decide(Page(has_article=False), None, (), None) == Skip("no_article")
    assert decide(Page(has_article=False), STORED, (), STORY).outcome is StoreOutcome.SKIPPED


def test_an_article_without_canonical_url_is_skipped() -> None:
    assert decide(Page(canonical_url=None), None, (), None) == Skip("no_url")


def test_same_text_again_is_unchanged() -> None:
    assert decide(Page(), STORED, (), None) == Unchanged(3, 7)
    orphan = replace(STORED, story=None)
    assert decide(Page(), orphan, (), None) == Unchanged(3, None)


def test_whitespace_is_not_an_edit() -> None:
    spaced = TEXT.replace("First paragraph", "First   paragraph").replace("\n\n", "\n \n\n")
    assert decide(Page(text=spaced, title=f" {TITLE} "), STORED, (), None).outcome == "unchanged"


def test_a_new_headline_is_an_update() -> None:
    new_title = "Russia and Cuba sign a wider accord"
    page = Page(title=new_title, text=TEXT.replace(TITLE, new_title, 1))
    decision = decide(page, STORED, (), None)
    assert isinstance(decision, Updated)
    assert decision.edit.title_changed
    assert (decision.edit.paragraphs_added, decision.edit.paragraphs_removed) == (0, 0)
    assert not decision.alert
    assert decision.outcome is StoreOutcome.UPDATED


def test_an_added_paragraph_is_an_update_with_a_diff() -> None:
    decision = decide(Page(text=TEXT + "\n\nA correction was added."), STORED, (), None)
    assert isinstance(decision, Updated)
    assert (decision.edit.paragraphs_added, decision.edit.paragraphs_removed) == (1, 0)
    assert "+A correction was added." in decision.edit.diff
    assert decision.edit.summary == "+1/-0 paragraphs"


def test_an_edit_of_a_no_longer_matching_article_still_updates_it() -> None:
    decision = decide(Page(matched=False, text=TEXT + "\n\nMore."), STORED, (), None)
    assert isinstance(decision, Updated) and not decision.promote


@pytest.mark.parametrize(
    ("story", "matched", "near_miss", "promote"),
    [
        (NEAR_MISS_STORY, True, False, True),  # edited into relevance: alerted now
        (DEMOTED_STORY, True, False, False),  # an analyst said irrelevant
        (NEAR_MISS_STORY, False, True, False),  # still a near miss
        (STORY, True, False, False),  # alerted before: never again
        (None, True, False, False),  # the story is gone
    ],
)
def test_an_edit_promotes_only_a_near_miss_made_relevant(
    story: StoryState | None, matched: bool, near_miss: bool, promote: bool
) -> None:
    stored = replace(STORED, story=story, near_miss=True)
    page = Page(matched=matched, near_miss=near_miss, text=TEXT + "\n\nNow about Cuba too.")
    decision = decide(page, stored, (), None)
    assert isinstance(decision, Updated)
    assert decision.promote is promote and decision.alert is promote


def test_a_new_non_matching_article_is_not_stored() -> None:
    assert decide(Page(matched=False), None, (), STORY) == NotMatching()


def test_the_same_text_on_the_same_site_is_a_duplicate() -> None:
    same = [SameText(5, "https://www.news.example/other", STORY)]
    assert decide(Page(), None, same, None) == Duplicate(5, 7)
    orphan = [SameText(5, "https://news.example/b", None)]
    assert decide(Page(), None, orphan, None) == Duplicate(5, None)


def test_the_same_text_elsewhere_joins_its_story() -> None:
    same = [
        SameText(5, "https://other.example/x", None),
        SameText(6, "https://third.example/y", STORY),
    ]
    decision = decide(Page(), None, same, NEAR_MISS_STORY)
    assert decision == Syndicated(STORY)  # the exact copy's story beats the near duplicate's
    assert not decision.alert


def test_an_exact_copy_without_story_falls_back_to_the_near_story_or_new() -> None:
    same = [SameText(5, "https://other.example/x", None)]
    assert decide(Page(), None, same, STORY) == Syndicated(STORY)
    assert decide(Page(), None, same, None) == New(near_miss=False)


def test_a_near_duplicate_joins_its_story() -> None:
    assert decide(Page(), None, (), STORY) == Syndicated(STORY)


@pytest.mark.parametrize(
    ("story", "matched", "near_miss", "promote"),
    [
        (NEAR_MISS_STORY, True, False, True),
        (DEMOTED_STORY, True, False, False),
        (NEAR_MISS_STORY, False, True, False),
        (STORY, True, False, False),
    ],
)
def test_a_relevant_copy_promotes_a_near_miss_story(
    story: StoryState, matched: bool, near_miss: bool, promote: bool
) -> None:
    decision = decide(Page(matched=matched, near_miss=near_miss), None, (), story)
    assert decision == Syndicated(story, promote=promote)
    assert decision.alert is promote


def test_a_new_story_is_alerted_unless_a_near_miss() -> None:
    new = decide(Page(), None, (), None)
    assert new == New(near_miss=False) and new.alert and new.outcome is StoreOutcome.NEW
    near = decide(Page(matched=False, near_miss=True), None, (), None)
    assert near == New(near_miss=True) and not near.alert
    assert near.outcome is StoreOutcome.NEAR_MISS


def test_same_site_is_injectable() -> None:
    same = [SameText(5, "https://other.example/x", STORY)]
    assert decide(Page(), None, same, None, same_site=lambda a, b: True) == Duplicate(5, 7)


# --- properties ------------------------------------------------------------------------------

stories = st.one_of(
    st.none(), st.builds(StoryState, st.integers(1, 5), st.booleans(), st.booleans())
)
texts = st.lists(st.sampled_from(["Alpha.", "Beta  gamma.", "Delta.", " Epsilon "]), max_size=4)
pages = st.builds(
    Page,
    error=st.one_of(st.none(), st.just("ValueError: x")),
    skip_reason=st.one_of(st.none(), st.sampled_from(["too_short", "index_page"])),
    canonical_url=st.one_of(st.none(), st.just("https://news.example/a")),
    matched=st.booleans(),
    near_miss=st.booleans(),
    has_article=st.booleans(),
    title=st.sampled_from([TITLE, "Other"]),
    text=texts.map(lambda ps: "\n\n".join([TITLE, *ps])),
)
stored = st.one_of(
    st.none(),
    st.builds(
        StoredArticle,
        st.just(3),
        st.just("https://news.example/a"),
        st.sampled_from([TITLE, "Other"]),
        texts.map(lambda ps: "\n\n".join([TITLE, *ps])),
        stories,
        st.booleans(),
    ),
)
same_texts = st.lists(
    st.builds(
        SameText,
        st.integers(10, 20),
        st.sampled_from(["https://news.example/b", "https://other.example/c"]),
        stories,
    ),
    max_size=3,
)


@given(pages, stored, same_texts, stories)
def test_decide_is_total_and_keeps_its_promises(
    page: Page,
    by_url: StoredArticle | None,
    same: list[SameText],
    near: StoryState | None,
) -> None:
    decision = decide(page, by_url, same, near)
    assert decision.outcome in set(StoreOutcome)
    assert decide(page, by_url, same, near) == decision  # pure: same inputs, same answer
    if page.error is not None:
        assert isinstance(decision, Failed)
        return
    if not page.has_article or page.canonical_url is None:
        assert isinstance(decision, Skip)
        return
    if by_url is not None:  # a stored URL is never new again
        assert isinstance(decision, Updated | Unchanged)
    if getattr(decision, "alert", False):  # alerts only for relevant pages
        assert page.matched
        assert isinstance(decision, New | Syndicated | Updated)
    if isinstance(decision, Syndicated | Updated) and decision.promote:
        story = decision.story if isinstance(decision, Syndicated) else decision.article.story
        assert story is not None and story.near_miss and not story.demoted
    if isinstance(decision, New):
        assert not any(s.story for s in same) and near is None and by_url is None
