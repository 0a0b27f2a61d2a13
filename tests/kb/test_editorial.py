"""The editorial workflow: drafts, pending revisions of live articles, review, publish, permissions."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kb import editorial
from kb.articles import get_or_create_category
from kb.changes import latest_change_id
from kb.editorial import EditorialError, NotAllowed, WorkflowError
from kb.models import Article, ArticleRedirect, ArticleStatus, Role, User
from tests.kb.desk_helpers import make_user
from tests.kb.helpers import new_changes

BODY = "Open **Settings** and choose *Reset password*."


@pytest.fixture
def editor(session: Session) -> User:
    """An editor."""
    return make_user(session, "Edna", Role.EDITOR)


@pytest.fixture
def agent(session: Session) -> User:
    """An agent."""
    return make_user(session, "Arno", Role.AGENT)


def _draft(session: Session, user: User, **overrides: object) -> Article:
    """A draft about resetting a password."""
    fields: dict[str, object] = {
        "title": "Reset your password",
        "body": BODY,
        "summary": "Forgot it? Reset it.",
    }
    fields.update(overrides)
    return editorial.create_draft(session=session, editor=user, **fields)  # type: ignore[arg-type]


def _live(session: Session, editor: User, **overrides: object) -> Article:
    """A published article."""
    article = _draft(session, editor, **overrides)
    return editorial.publish(session=session, article=article, editor=editor)


# create


def test_create_draft_writes_revision_one(session: Session, editor: User) -> None:
    """A new draft has a slug from its title, revision 1 with the content, and a change record."""
    get_or_create_category(session=session, slug="account")
    since = latest_change_id(session=session)
    article = _draft(session, editor, category="account", tags=["login", " login", "2fa"])
    assert (article.slug, article.status, article.revision_number) == (
        "reset-your-password",
        ArticleStatus.DRAFT,
        1,
    )
    assert article.tags == ["login", "2fa"] and article.category is not None
    [revision] = editorial.revisions(session=session, article=article)
    assert (revision.number, revision.slug, revision.author_id) == (1, article.slug, editor.id)
    assert ("article", article.id) in new_changes(session, since)


def test_create_draft_keeps_origin_owner_and_review_date(session: Session, agent: User) -> None:
    """Agents may write drafts; origin, owner and review-by date are kept."""
    owner = make_user(session, "Olga", Role.EDITOR)
    article = _draft(
        session,
        agent,
        origin="conversation",
        origin_ref="c-123",
        owner_id=owner.id,
        review_by="2027-01-31",
    )
    assert (article.origin, article.origin_ref, article.owner) == ("conversation", "c-123", owner)
    assert article.review_by == date(2027, 1, 31)


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"title": "x" * 201}, "title", "title is 201 characters; the limit is 200"),
        ({"title": "   "}, "title", "title is empty"),
        ({"slug": "Bad Slug"}, "slug", "slug 'Bad Slug' is invalid"),
        ({"category": "nowhere"}, "category", "unknown category 'nowhere'"),
        ({"tags": "one"}, "tags", "not a single string"),
        ({"review_by": "next week"}, "review_by", "not a date"),
        ({"owner_id": 99_999}, "owner_id", "not an editor or admin"),
        ({"origin": "magic"}, "origin", "origin must be one of"),
    ],
)
def test_create_draft_rejects_bad_input_naming_the_field(
    session: Session, editor: User, overrides: dict[str, object], field: str, words: str
) -> None:
    """Bad input is an EditorialError that names the field and says what is wrong."""
    with pytest.raises(EditorialError, match=words) as caught:
        _draft(session, editor, **overrides)
    assert caught.value.field == field


def test_slug_clash_is_a_clear_error(session: Session, editor: User) -> None:
    """Asking for a slug another article uses fails and names that article."""
    _draft(session, editor)
    with pytest.raises(EditorialError, match="already used by the article 'Reset your password'"):
        _draft(session, editor, title="Another", slug="reset-your-password")
    second = _draft(session, editor)
    assert second.slug == "reset-your-password-2"


def test_customers_cannot_write_drafts(session: Session) -> None:
    """Customers are refused with a message naming the roles allowed."""
    customer = make_user(session, "Cora", Role.CUSTOMER)
    with pytest.raises(NotAllowed, match="Only admins, agents and editors can write"):
        _draft(session, customer)


def test_suspended_staff_cannot_write(session: Session) -> None:
    """A suspended editor is refused."""
    suspended = make_user(session, "Sam", Role.EDITOR, suspended=True)
    with pytest.raises(NotAllowed, match="suspended"):
        _draft(session, suspended)


# edit


def test_editing_a_draft_changes_it_in_place(session: Session, agent: User) -> None:
    """A draft edit updates the article and writes the next revision; agents may edit drafts."""
    article = _draft(session, agent)
    revision = editorial.edit(
        session=session, article=article, editor=agent, note="typo", body="New body."
    )
    assert (revision.number, revision.body, revision.note) == (2, "New body.", "typo")
    assert article.body == "New body." and article.revision_number == 2


def test_unchanged_edit_writes_nothing(session: Session, editor: User) -> None:
    """Saving the same content returns the current revision and writes no new one."""
    article = _draft(session, editor)
    revision = editorial.edit(
        session=session, article=article, editor=editor, title="Reset your password"
    )
    assert revision.number == 1 and article.revision_number == 1


def test_owner_and_review_date_change_without_a_revision(session: Session, editor: User) -> None:
    """Owner and review-by are bookkeeping: they apply at once and write no revision."""
    article = _live(session, editor)
    editorial.edit(
        session=session, article=article, editor=editor, owner_id=editor.id, review_by="2027-03-01"
    )
    assert (article.owner_id, article.review_by) == (editor.id, date(2027, 3, 1))
    assert article.draft_revision is None and article.revision_number == 2


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"summary": "s" * 1001}, "summary", "summary is 1,001 characters; the limit is 1,000"),
        ({"body": "b" * 200_001}, "body", "body is 200,001 characters; the limit is 200,000"),
        ({"body": 5}, "body", "body must be text"),
        ({"title": "t" * 201}, "title", "the limit is 200"),
        ({"slug": "reset-your-password-"}, "slug", "is invalid"),
    ],
)
def test_bad_edits_change_nothing(
    session: Session, editor: User, changes: dict[str, object], field: str, words: str
) -> None:
    """A refused edit names the field and leaves the article as it was."""
    article = _draft(session, editor)
    with pytest.raises(EditorialError, match=words) as caught:
        editorial.edit(session=session, article=article, editor=editor, **changes)
    assert caught.value.field == field
    assert (article.body, article.revision_number) == (BODY, 1)


def test_unknown_field_is_refused(session: Session, editor: User) -> None:
    """Only editable fields may be changed."""
    article = _draft(session, editor)
    with pytest.raises(EditorialError, match="'status' cannot be edited") as caught:
        editorial.edit(session=session, article=article, editor=editor, status="published")
    assert caught.value.field == "status"


def test_agents_cannot_edit_beyond_drafts(session: Session, editor: User, agent: User) -> None:
    """An agent may not touch an article once it is in review or published."""
    article = _draft(session, agent)
    editorial.submit(session=session, article=article, editor=agent)
    with pytest.raises(NotAllowed, match="Only admins and editors can edit in review articles"):
        editorial.edit(session=session, article=article, editor=agent, body="x")


def test_editing_a_published_article_keeps_the_live_version(session: Session, editor: User) -> None:
    """An edit of a live article becomes a pending draft revision; publishing makes it live."""
    article = _live(session, editor)
    since = latest_change_id(session=session)
    pending = editorial.edit(
        session=session, article=article, editor=editor, title="Reset a password", body="Newer."
    )
    assert article.status == ArticleStatus.PUBLISHED
    assert (article.title, article.body) == ("Reset your password", BODY)
    assert article.draft_revision == pending.number == 3
    assert pending.status == ArticleStatus.DRAFT
    copy = editorial.working_copy(session=session, article=article)
    assert (copy.title, copy.body, copy.pending, copy.revision) == (
        "Reset a password",
        "Newer.",
        True,
        3,
    )
    # A second edit builds on the pending revision, not on the live one.
    editorial.edit(session=session, article=article, editor=editor, summary="Short.")
    copy = editorial.working_copy(session=session, article=article)
    assert (copy.title, copy.summary, copy.revision) == ("Reset a password", "Short.", 4)
    assert article.title == "Reset your password"
    editorial.publish(session=session, article=article, editor=editor, note="ship it")
    assert (article.title, article.body, article.summary) == (
        "Reset a password",
        "Newer.",
        "Short.",
    )
    assert article.draft_revision is None and article.revision_number == 5
    assert ("article", article.id) in new_changes(session, since)


# slugs and redirects


def test_renaming_a_draft_leaves_a_redirect_at_once(session: Session, editor: User) -> None:
    """A draft's old slug redirects to its new one straight away."""
    article = _draft(session, editor)
    editorial.edit(session=session, article=article, editor=editor, slug="password-reset")
    assert article.slug == "password-reset"
    assert editorial.resolve_slug(session=session, slug="reset-your-password") is article


def test_renaming_a_live_article_redirects_only_once_published(
    session: Session, editor: User
) -> None:
    """The live slug stays until the pending revision is published; then the old one redirects."""
    article = _live(session, editor)
    editorial.edit(session=session, article=article, editor=editor, slug="password-reset")
    assert article.slug == "reset-your-password"
    assert session.scalar(select(ArticleRedirect)) is None
    with pytest.raises(EditorialError, match="taken by unpublished changes"):
        _draft(session, editor, title="Other", slug="password-reset")
    editorial.publish(session=session, article=article, editor=editor)
    assert article.slug == "password-reset"
    assert editorial.resolve_slug(session=session, slug="reset-your-password") is article
    assert editorial.resolve_slug(session=session, slug="password-reset") is article


def test_renaming_back_and_forth_keeps_every_old_slug_working(
    session: Session, editor: User
) -> None:
    """a → b → c → a: the article owns its slug again, the others redirect."""
    article = _draft(session, editor, slug="a")
    for slug in ("b", "c", "a"):
        editorial.edit(session=session, article=article, editor=editor, slug=slug)
    olds = set(session.scalars(select(ArticleRedirect.old_slug)))
    assert olds == {"b", "c"}
    assert all(editorial.resolve_slug(session=session, slug=s) is article for s in "abc")


def test_resolve_slug_unknown_is_not_found(session: Session) -> None:
    """An unknown slug raises ArticleNotFound."""
    with pytest.raises(editorial.ArticleNotFound, match="no article with slug 'nope'"):
        editorial.resolve_slug(session=session, slug="nope")


# workflow


def test_draft_to_review_to_published_to_archived(session: Session, editor: User) -> None:
    """The full lifecycle, each move a revision with its status."""
    article = _draft(session, editor)
    editorial.submit(session=session, article=article, editor=editor)
    assert article.status == ArticleStatus.IN_REVIEW
    editorial.publish(session=session, article=article, editor=editor)
    assert article.status == ArticleStatus.PUBLISHED and article.published_at is not None
    editorial.archive(session=session, article=article, editor=editor, note="outdated")
    assert article.status == ArticleStatus.ARCHIVED
    statuses = [r.status for r in editorial.revisions(session=session, article=article)]
    assert statuses == ["archived", "published", "in_review", "draft"]


def test_only_editors_and_admins_publish(session: Session, editor: User, agent: User) -> None:
    """Agents submit but cannot publish, unpublish or archive; admins can publish."""
    article = _draft(session, agent)
    editorial.submit(session=session, article=article, editor=agent)
    for move in (editorial.publish, editorial.archive):
        with pytest.raises(NotAllowed, match="Only admins and editors"):
            move(session=session, article=article, editor=agent)
    admin = make_user(session, "Ada", Role.ADMIN)
    editorial.publish(session=session, article=article, editor=admin)
    with pytest.raises(NotAllowed, match="unpublish"):
        editorial.unpublish(session=session, article=article, editor=agent)
    assert article.status == ArticleStatus.PUBLISHED


@pytest.mark.parametrize(
    ("setup", "move", "words"),
    [
        ("draft", "unpublish", "is draft; only published or archived"),
        ("published", "submit", "is published and has no changes to submit"),
        ("published", "publish", "already published with no pending changes"),
        ("archived", "publish", "is archived; unpublish it"),
        ("archived", "archive", "already archived"),
        ("archived", "submit", "is archived; only drafts can be submitted"),
        ("in_review", "submit", "is in review; only drafts"),
    ],
)
def test_illegal_moves_are_workflow_errors(
    session: Session, editor: User, setup: str, move: str, words: str
) -> None:
    """A move that makes no sense from the current state says why."""
    article = _draft(session, editor)
    if setup == "in_review":
        editorial.submit(session=session, article=article, editor=editor)
    if setup in ("published", "archived"):
        editorial.publish(session=session, article=article, editor=editor)
    if setup == "archived":
        editorial.archive(session=session, article=article, editor=editor)
    before = article.revision_number
    with pytest.raises(WorkflowError, match=words):
        getattr(editorial, move)(session=session, article=article, editor=editor)
    assert article.revision_number == before


def test_pending_changes_go_through_review(session: Session, editor: User) -> None:
    """A pending revision can be submitted (once) while the article stays published."""
    article = _live(session, editor)
    editorial.edit(session=session, article=article, editor=editor, body="Better.")
    editorial.submit(session=session, article=article, editor=editor)
    copy = editorial.working_copy(session=session, article=article)
    assert (copy.status, copy.pending, article.status) == (
        ArticleStatus.IN_REVIEW,
        True,
        ArticleStatus.PUBLISHED,
    )
    with pytest.raises(WorkflowError, match="already in review"):
        editorial.submit(session=session, article=article, editor=editor)
    editorial.edit(session=session, article=article, editor=editor, body="Better still.")
    assert editorial.working_copy(session=session, article=article).status == "in_review"
    editorial.publish(session=session, article=article, editor=editor)
    assert article.body == "Better still." and article.draft_revision is None


def test_unpublish_folds_pending_changes_into_the_draft(session: Session, editor: User) -> None:
    """Unpublishing makes the pending content the draft, with its slug redirecting."""
    article = _live(session, editor)
    editorial.edit(session=session, article=article, editor=editor, body="Next.", slug="next")
    editorial.unpublish(session=session, article=article, editor=editor)
    assert (article.status, article.body, article.slug) == (ArticleStatus.DRAFT, "Next.", "next")
    assert article.draft_revision is None
    assert editorial.resolve_slug(session=session, slug="reset-your-password") is article


def test_archive_drops_pending_changes_but_keeps_them_in_history(
    session: Session, editor: User
) -> None:
    """Archiving a live article with pending changes leaves the live content and the history."""
    article = _live(session, editor)
    pending = editorial.edit(session=session, article=article, editor=editor, body="Unsure.")
    editorial.archive(session=session, article=article, editor=editor)
    assert article.draft_revision is None and article.body == BODY
    assert editorial.get_revision(session=session, article=article, number=pending.number).body == (
        "Unsure."
    )
    editorial.unpublish(session=session, article=article, editor=editor)
    assert article.status == ArticleStatus.DRAFT and article.body == BODY
