"""Revision history, diffs and restore; stale content by owner; curating an article's phrasings."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from kb import editorial
from kb.articles import add_phrasing, get_or_create_category, save_article
from kb.changes import latest_change_id
from kb.editorial import EditorialError, NotAllowed, PhrasingNotFound, RevisionNotFound
from kb.models import Article, PhrasingSource, Role, User
from kb.revision_diff import inline_lines, side_by_side_rows
from tests.kb.desk_helpers import make_user
from tests.kb.helpers import new_changes

V1 = "Intro\nStep one\nStep two\nEnd"
V2 = "Intro\nStep one, carefully\nStep two\nStep three\nEnd"


@pytest.fixture
def editor(session: Session) -> User:
    """An editor."""
    return make_user(session, "Edna", Role.EDITOR)


def _article(session: Session, editor: User, **overrides: object) -> Article:
    """A published article with body V1."""
    fields: dict[str, object] = {"title": "Returns", "body": V1}
    fields.update(overrides)
    article = editorial.create_draft(session=session, editor=editor, **fields)  # type: ignore[arg-type]
    return editorial.publish(session=session, article=article, editor=editor)


# history and diff


def test_revisions_are_newest_first_with_authors(session: Session, editor: User) -> None:
    """Every save and move is listed, newest first, with who made it and the note."""
    article = _article(session, editor)
    other = make_user(session, "Otto", Role.ADMIN)
    editorial.edit(session=session, article=article, editor=other, note="clearer", body=V2)
    history = editorial.revisions(session=session, article=article)
    assert [(r.number, r.note) for r in history] == [(3, "clearer"), (2, ""), (1, "")]
    authors = editorial.revision_authors(session=session, revisions=history)
    assert authors[history[0].author_id or 0] is other
    assert authors[history[1].author_id or 0] is editor


def test_diff_per_field_and_body_lines(session: Session, editor: User) -> None:
    """The diff names changed fields and gives the body inline and side by side."""
    get_or_create_category(session=session, slug="orders")
    article = _article(session, editor)
    editorial.edit(
        session=session,
        article=article,
        editor=editor,
        title="Returns and refunds",
        body=V2,
        category="orders",
        tags=["refund"],
    )
    result = editorial.diff(session=session, article=article, a=1, b=3)
    changed = {f.name: (f.before, f.after) for f in result.changed_fields}
    assert changed == {
        "title": ("Returns", "Returns and refunds"),
        "category": ("", "orders"),
        "tags": ("", "refund"),
    }
    assert [(line.op, line.text) for line in result.inline] == [
        ("equal", "Intro"),
        ("delete", "Step one"),
        ("insert", "Step one, carefully"),
        ("equal", "Step two"),
        ("insert", "Step three"),
        ("equal", "End"),
    ]
    assert [
        (r.op, r.left, r.right, r.left_number, r.right_number) for r in result.side_by_side
    ] == [
        ("equal", "Intro", "Intro", 1, 1),
        ("replace", "Step one", "Step one, carefully", 2, 2),
        ("equal", "Step two", "Step two", 3, 3),
        ("insert", None, "Step three", None, 4),
        ("equal", "End", "End", 4, 5),
    ]
    assert result.body_changed
    assert not editorial.diff(session=session, article=article, a=1, b=2).body_changed


def test_side_by_side_pads_uneven_replacements() -> None:
    """Two lines replaced by one: a replace row, then a delete row."""
    rows = side_by_side_rows(["a", "b", "c"], ["x"])
    assert [(r.op, r.left, r.right) for r in rows] == [
        ("replace", "a", "x"),
        ("delete", "b", None),
        ("delete", "c", None),
    ]
    assert [line.op for line in inline_lines([], ["new"])] == ["insert"]


def test_diff_of_a_missing_revision_is_clear(session: Session, editor: User) -> None:
    """Asking for a revision that does not exist says which ones do."""
    article = _article(session, editor)
    with pytest.raises(RevisionNotFound, match="has no revision 9; it has revisions 1 to 2"):
        editorial.diff(session=session, article=article, a=1, b=9)


# restore


def test_restore_writes_the_old_content_as_a_new_pending_revision(
    session: Session, editor: User
) -> None:
    """Restoring revision 1 of a live article is a new pending revision with a note."""
    article = _article(session, editor)
    editorial.edit(session=session, article=article, editor=editor, body=V2)
    editorial.publish(session=session, article=article, editor=editor)
    assert article.body == V2
    revision = editorial.restore(session=session, article=article, number=1, editor=editor)
    assert (revision.number, revision.body, revision.note) == (5, V1, "Restored revision 1.")
    assert article.body == V2 and article.draft_revision == 5
    editorial.publish(session=session, article=article, editor=editor)
    assert article.body == V1


def test_restore_brings_back_the_old_slug_only_if_free(session: Session, editor: User) -> None:
    """A draft's old slug is restored with its content, unless another article took it."""
    article = editorial.create_draft(session=session, editor=editor, title="Draft", body="One")
    editorial.edit(session=session, article=article, editor=editor, slug="renamed", body="Two")
    restored = editorial.restore(
        session=session, article=article, number=1, editor=editor, note="back"
    )
    assert (article.slug, article.body, restored.note) == ("draft", "One", "back")
    editorial.edit(session=session, article=article, editor=editor, slug="third", body="Three")
    editorial.create_draft(session=session, editor=editor, title="Thief", body="x", slug="draft")
    editorial.restore(session=session, article=article, number=1, editor=editor)
    assert (article.slug, article.body) == ("third", "One")


def test_restore_of_a_missing_revision_is_clear(session: Session, editor: User) -> None:
    """Restoring a revision number that does not exist names the article and the range."""
    article = _article(session, editor)
    with pytest.raises(RevisionNotFound, match="'returns' has no revision 7") as caught:
        editorial.restore(session=session, article=article, number=7, editor=editor)
    assert caught.value.field == "number"


def test_agents_cannot_restore_live_articles(session: Session, editor: User) -> None:
    """Restore is an edit: agents cannot do it to a published article."""
    article = _article(session, editor)
    agent = make_user(session, "Arno", Role.AGENT)
    with pytest.raises(NotAllowed):
        editorial.restore(session=session, article=article, number=1, editor=agent)


# stale


def test_stale_lists_overdue_published_articles_by_owner(session: Session, editor: User) -> None:
    """Only published articles past review-by, grouped by owner name, unowned last."""
    zed = make_user(session, "Zed", Role.EDITOR)
    amy = make_user(session, "Amy", Role.EDITOR)
    today = date(2026, 6, 1)
    overdue = date(2026, 5, 1)
    z1 = _article(session, editor, title="Z one", owner_id=zed.id, review_by=overdue)
    a2 = _article(session, editor, title="A two", owner_id=amy.id, review_by=date(2026, 5, 20))
    a1 = _article(session, editor, title="A one", owner_id=amy.id, review_by=overdue)
    none = _article(session, editor, title="Nobody's", review_by=overdue)
    _article(session, editor, title="Due today", owner_id=amy.id, review_by=today)
    _article(session, editor, title="No date", owner_id=amy.id)
    draft = editorial.create_draft(
        session=session, editor=editor, title="Draft", body="x", review_by=overdue
    )
    assert draft.review_by == overdue
    assert editorial.stale(session=session, today=today) == [a1, a2, z1, none]
    groups = editorial.stale_by_owner(session=session, today=today)
    assert [(owner, items) for owner, items in groups] == [
        (amy, [a1, a2]),
        (zed, [z1]),
        (None, [none]),
    ]


# phrasings


def test_update_and_remove_phrasings(session: Session, editor: User) -> None:
    """Editors reword and remove phrasings (learnt ones too); search hears of each change."""
    article = _article(session, editor)
    taught = add_phrasing(session=session, article=article, text="send it back")
    learnt = add_phrasing(
        session=session,
        article=article,
        text="refund plz",
        source=PhrasingSource.CONFIRMED_RESOLUTION,
    )
    assert taught is not None and learnt is not None
    assert editorial.phrasings(session=session, article=article) == [taught, learnt]
    since = latest_change_id(session=session)
    editorial.update_phrasing(
        session=session,
        article=article,
        phrasing_id=taught.id,
        text="  send  it back ",
        editor=editor,
    )
    assert taught.text == "send it back"
    editorial.remove_phrasing(
        session=session, article=article, phrasing_id=learnt.id, editor=editor
    )
    assert editorial.phrasings(session=session, article=article) == [taught]
    assert [c for c in new_changes(session, since)] == [("article", article.id)] * 2


def test_phrasing_errors_are_clear(session: Session, editor: User) -> None:
    """Duplicates, blanks, other articles' phrasings and agents are refused."""
    article = _article(session, editor)
    other = _article(session, editor, title="Other")
    one = add_phrasing(session=session, article=article, text="one")
    two = add_phrasing(session=session, article=article, text="two")
    theirs = add_phrasing(session=session, article=other, text="theirs")
    assert one is not None and two is not None and theirs is not None
    with pytest.raises(EditorialError, match="already has the phrasing 'one'"):
        editorial.update_phrasing(
            session=session, article=article, phrasing_id=two.id, text="ONE", editor=editor
        )
    with pytest.raises(EditorialError, match="is 0 characters"):
        editorial.update_phrasing(
            session=session, article=article, phrasing_id=two.id, text="  ", editor=editor
        )
    with pytest.raises(PhrasingNotFound, match="'returns' has no phrasing"):
        editorial.remove_phrasing(
            session=session, article=article, phrasing_id=theirs.id, editor=editor
        )
    agent = make_user(session, "Arno", Role.AGENT)
    with pytest.raises(NotAllowed, match="remove phrasings"):
        editorial.remove_phrasing(
            session=session, article=article, phrasing_id=one.id, editor=agent
        )
    assert [p.text for p in editorial.phrasings(session=session, article=article)] == ["one", "two"]


def test_articles_saved_by_imports_and_the_desk_work_in_the_editor(
    session: Session, editor: User
) -> None:
    """``save_article`` revisions keep their slug, so diffs show only real changes."""
    article = save_article(session=session, title="Imported", body=V1, status="published").article
    editorial.edit(session=session, article=article, editor=editor, body=V2)
    result = editorial.diff(session=session, article=article, a=1, b=2)
    assert [f.name for f in result.changed_fields] == ["status"]
    assert result.body_changed
    assert editorial.working_copy(session=session, article=article).slug == "imported"
