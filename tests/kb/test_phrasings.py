"""Phrasings: editors' and confirmed resolutions' ways of asking for an article."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kb.articles import ArticleError, add_phrasing
from kb.changes import latest_change_id
from kb.models import PhrasingSource
from tests.kb.helpers import new_changes, reset_password

# phrasings


def test_phrasings_none_leaves_them_alone(session: Session) -> None:
    """Saving without phrasings keeps the existing ones."""
    article = reset_password(session, phrasings=["forgot password"]).article
    reset_password(session, body="Changed.")
    assert [p.text for p in article.phrasings] == ["forgot password"]


def test_phrasings_replace_editor_ones_and_keep_confirmed(session: Session) -> None:
    """A phrasing list replaces the editor's phrasings; learnt ones survive."""
    article = reset_password(session, phrasings=["forgot password", "locked out"]).article
    add_phrasing(
        session=session,
        article=article,
        text="can't sign in",
        source=PhrasingSource.CONFIRMED_RESOLUTION,
    )
    before = latest_change_id(session=session)

    outcome = reset_password(
        session, phrasings=["Forgot password", "new password", "CAN'T SIGN IN"]
    )

    assert outcome.changed
    assert article.revision_number == 2
    assert sorted((p.text, p.source) for p in article.phrasings) == [
        ("Forgot password", PhrasingSource.EDITOR),
        ("can't sign in", PhrasingSource.CONFIRMED_RESOLUTION),
        ("new password", PhrasingSource.EDITOR),
    ]
    assert new_changes(session, before) == [("article", article.id)]
    assert not reset_password(
        session, phrasings=["Forgot password", "new password", "can't sign in"]
    ).changed


def test_phrasings_empty_list_removes_editor_ones_only(session: Session) -> None:
    """An empty list clears the editor's phrasings but not learnt ones."""
    article = reset_password(session, phrasings=["forgot password"]).article
    add_phrasing(
        session=session,
        article=article,
        text="locked out of my account",
        source=PhrasingSource.CONFIRMED_RESOLUTION,
    )
    reset_password(session, phrasings=[])
    assert [p.text for p in article.phrasings] == ["locked out of my account"]


def test_add_phrasing_teaches_search(session: Session) -> None:
    """A new phrasing is stored cleaned, with its source, and recorded as a change."""
    article = reset_password(session).article
    before = latest_change_id(session=session)
    phrasing = add_phrasing(
        session=session,
        article=article,
        text="  I   forgot my password  ",
        source=PhrasingSource.CONFIRMED_RESOLUTION,
    )
    assert phrasing is not None
    assert (phrasing.text, phrasing.source) == (
        "I forgot my password",
        PhrasingSource.CONFIRMED_RESOLUTION,
    )
    assert phrasing.article_id == article.id
    assert article.revision_number == 1
    assert new_changes(session, before) == [("article", article.id)]


def test_add_phrasing_ignores_case_insensitive_duplicates(session: Session) -> None:
    """A phrasing already known (in any case) is not added again and writes nothing."""
    article = reset_password(session, phrasings=["Forgot password"]).article
    before = latest_change_id(session=session)
    assert add_phrasing(session=session, article=article, text="FORGOT PASSWORD") is None
    assert len(article.phrasings) == 1
    assert latest_change_id(session=session) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [("  \t ", "phrasing '' is 0 characters"), ("p" * 501, "is 501 characters")],
)
def test_add_phrasing_validates_length(session: Session, text: str, message: str) -> None:
    """Phrasings must be 1 to 500 characters after stripping ("ok" and "yo" are real phrasings)."""
    article = reset_password(session).article
    with pytest.raises(ArticleError, match=message):
        add_phrasing(session=session, article=article, text=text)
