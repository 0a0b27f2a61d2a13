"""Article services: revisions on real saves, idempotent re-saves, slugs, statuses, phrasings."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.articles import (
    MAX_BODY,
    ArticleError,
    ArticleNotFound,
    delete_article,
    get_article,
    get_or_create_category,
    list_articles,
    list_categories,
    list_revisions,
    save_article,
    set_status,
    slugify,
)
from kb.changes import latest_change_id
from kb.models import (
    Article,
    ArticleRevision,
    ArticleStatus,
    Phrasing,
)
from tests.kb.helpers import make_editor, new_changes, reset_password

# slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("How do I reset my password?", "how-do-i-reset-my-password"),
        ("Café crème – über alles", "cafe-creme-uber-alles"),
        ("Can't log in", "cant-log-in"),
        ("  --Billing & invoices--  ", "billing-invoices"),
        ("2FA: set up", "2fa-set-up"),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    """Slugs are lowercase ASCII words joined by single hyphens."""
    assert slugify(text) == slug


def test_slugify_cuts_long_titles_at_a_word_boundary() -> None:
    """A long title gives a slug of at most 120 characters that does not end mid-word."""
    slug = slugify("word " * 60)
    assert len(slug) <= 120
    assert slug.endswith("word")
    assert not slug.endswith("-")


def test_slugify_cuts_one_long_word() -> None:
    """A single very long word is cut to exactly 120 characters."""
    assert slugify("x" * 300) == "x" * 120


@pytest.mark.parametrize("text", ["", "   ", "???", "日本語"])
def test_slugify_never_returns_empty(text: str) -> None:
    """Text without ASCII letters or digits is refused, saying why."""
    with pytest.raises(ArticleError, match="no ASCII letters or digits"):
        slugify(text)


# categories


def test_get_or_create_category_creates_then_updates(session: Session) -> None:
    """A new category gets a name from its slug; later calls update only the given fields."""
    created = get_or_create_category(session=session, slug="billing-and-plans")
    assert (created.name, created.description, created.position) == ("Billing and plans", "", 0)

    same = get_or_create_category(session=session, slug="billing-and-plans", position=3)
    assert same is created
    assert (same.name, same.position) == ("Billing and plans", 3)

    get_or_create_category(
        session=session, slug="billing-and-plans", name="Billing", description="$"
    )
    assert (same.name, same.description, same.position) == ("Billing", "$", 3)


@pytest.mark.parametrize(
    ("slug", "name", "message"),
    [
        ("Billing", None, "category slug 'Billing' is invalid"),
        ("a" * 81, None, "at most 80 characters"),
        ("billing", "   ", "category name must be 1 to 120 characters"),
    ],
)
def test_get_or_create_category_validates(
    session: Session, slug: str, name: str | None, message: str
) -> None:
    """Bad slugs and names are refused with a precise message."""
    with pytest.raises(ArticleError, match=message):
        get_or_create_category(session=session, slug=slug, name=name)


def test_list_categories_orders_by_position_then_name(session: Session) -> None:
    """Categories come in display order."""
    get_or_create_category(session=session, slug="zeta", name="Zeta", position=1)
    get_or_create_category(session=session, slug="beta", name="Beta", position=2)
    get_or_create_category(session=session, slug="alpha", name="Alpha", position=1)
    assert [c.slug for c in list_categories(session=session)] == ["alpha", "zeta", "beta"]


# save_article: create, revisions, idempotence


def test_save_creates_a_draft_with_a_first_revision(session: Session) -> None:
    """A new article is a draft at revision 1 with a full snapshot and a change record."""
    editor = make_editor(session)
    get_or_create_category(session=session, slug="account")
    before = latest_change_id(session=session)

    outcome = reset_password(
        session, category="account", tags=["login", "security"], author=editor, note="first"
    )

    article = outcome.article
    assert (outcome.created, outcome.changed) == (True, True)
    assert article.slug == "reset-password"
    assert article.status == ArticleStatus.DRAFT
    assert article.published_at is None
    assert article.revision_number == 1
    assert article.author is editor
    assert article.category is not None and article.category.slug == "account"
    [revision] = list_revisions(session=session, article=article)
    assert revision.number == 1
    assert revision.title == article.title
    assert revision.summary == "Reset a forgotten password."
    assert revision.body == article.body
    assert revision.category_id == article.category_id
    assert revision.tags == ["login", "security"]
    assert revision.status == ArticleStatus.DRAFT
    assert revision.author_id == editor.id
    assert revision.note == "first"
    assert new_changes(session, before) == [("article", article.id)]


def test_resaving_identical_content_writes_nothing(session: Session) -> None:
    """Re-importing the same content is a no-op: no revision, no change record."""
    first = reset_password(session, tags=["login"], phrasings=["forgot password"])
    before = latest_change_id(session=session)

    again = reset_password(session, tags=["login"], phrasings=["forgot password"], note="again")

    assert again.article is first.article
    assert (again.created, again.changed) == (False, False)
    assert again.article.revision_number == 1
    assert len(list_revisions(session=session, article=first.article)) == 1
    assert latest_change_id(session=session) == before


def test_every_real_change_writes_a_revision_and_a_change(session: Session) -> None:
    """Each save that changes something adds a numbered snapshot and a change record."""
    editor = make_editor(session)
    article = reset_password(session).article
    before = latest_change_id(session=session)

    second = reset_password(session, body="New steps.", author=editor, note="rewrite")
    third = reset_password(session, body="New steps.", tags=["login"])

    assert second.changed and third.changed
    assert article.revision_number == 3
    revisions = list_revisions(session=session, article=article)
    assert [r.number for r in revisions] == [1, 2, 3]
    assert [r.body for r in revisions] == [
        "Open **Settings → Security** and choose *Reset password*.",
        "New steps.",
        "New steps.",
    ]
    assert (revisions[1].author_id, revisions[1].note) == (editor.id, "rewrite")
    assert revisions[2].tags == ["login"]
    assert new_changes(session, before) == [("article", article.id)] * 2


def test_updated_at_moves_on_change(session: Session) -> None:
    """A change refreshes updated_at; created_at stays."""
    article = reset_password(session).article
    created_at, updated_at = article.created_at, article.updated_at
    reset_password(session, body="Changed.")
    assert article.created_at == created_at
    assert article.updated_at >= updated_at


def test_title_changes_keep_the_slug(session: Session) -> None:
    """Retitling an article found by external id keeps its URL."""
    article = reset_password(session, external_id="zendesk:1", slug=None).article
    outcome = reset_password(
        session, external_id="zendesk:1", slug=None, title="Resetting your password"
    )
    assert outcome.article is article
    assert (article.slug, article.title) == (
        "how-do-i-reset-my-password",
        "Resetting your password",
    )


def test_external_id_is_matched_before_slug(session: Session) -> None:
    """The external id identifies the article even when the given slug changes (a rename)."""
    article = reset_password(session, external_id="zendesk:1", slug="reset-password").article
    renamed = reset_password(session, external_id="zendesk:1", slug="password-reset")
    assert renamed.article is article
    assert renamed.changed
    assert article.slug == "password-reset"


def test_slug_finds_an_article_without_external_id(session: Session) -> None:
    """An article saved by slug is updated by slug, and can adopt an external id."""
    article = reset_password(session, slug="reset-password").article
    again = reset_password(session, slug="reset-password", body="Other body.")
    assert again.article is article and not again.created
    adopted = reset_password(session, slug="reset-password", body="Other body.", external_id="x:1")
    assert adopted.article is article and adopted.changed
    assert article.external_id == "x:1"


def test_same_title_gets_numbered_slugs(session: Session) -> None:
    """Without slug or external id every save creates an article; equal titles get -2, -3…"""
    slugs = [reset_password(session, slug=None).article.slug for _ in range(3)]
    assert slugs == [
        "how-do-i-reset-my-password",
        "how-do-i-reset-my-password-2",
        "how-do-i-reset-my-password-3",
    ]


def test_slug_taken_by_another_import_is_numbered_and_stays_stable(session: Session) -> None:
    """A slug owned by an article with another external id is not hijacked, and re-imports agree."""
    theirs = reset_password(session, external_id="a:1", slug="reset").article
    ours = reset_password(session, external_id="b:1", slug="reset")
    assert ours.created and ours.article is not theirs
    assert (theirs.slug, ours.article.slug) == ("reset", "reset-2")

    again = reset_password(session, external_id="b:1", slug="reset")
    assert (again.article.slug, again.changed) == ("reset-2", False)


def test_renaming_onto_a_taken_slug_numbers_it(session: Session) -> None:
    """Renaming to a slug another article uses gives the next free number."""
    reset_password(session, slug="billing")
    article = reset_password(session, external_id="e:1", slug="payments").article
    reset_password(session, external_id="e:1", slug="billing")
    assert article.slug == "billing-2"


def test_numbered_slug_stays_within_the_limit(session: Session) -> None:
    """A maximum-length slug still fits after its number is appended."""
    long_slug = "a" * 120
    reset_password(session, external_id="x:1", slug=long_slug)
    second = reset_password(session, external_id="x:2", slug=long_slug)
    assert second.article.slug == "a" * 118 + "-2"


# statuses


def test_status_none_keeps_the_current_status(session: Session) -> None:
    """Saving without a status leaves a published article published."""
    article = reset_password(session, status="published").article
    reset_password(session, body="Edited.")
    assert article.status == ArticleStatus.PUBLISHED


def test_publishing_through_save_sets_published_at(session: Session) -> None:
    """Becoming published stamps published_at; a status change alone is a revision."""
    article = reset_password(session).article
    assert article.published_at is None
    outcome = reset_password(session, status=ArticleStatus.PUBLISHED)
    assert outcome.changed
    assert article.published_at is not None
    assert list_revisions(session=session, article=article)[-1].status == ArticleStatus.PUBLISHED


def test_set_status_walks_the_lifecycle(session: Session) -> None:
    """Publish, unpublish and archive each make a revision and a change record."""
    editor = make_editor(session)
    article = reset_password(session).article
    before = latest_change_id(session=session)

    set_status(session=session, article=article, status="in_review", actor=editor)
    set_status(session=session, article=article, status=ArticleStatus.PUBLISHED, note="go")
    published_at = article.published_at
    set_status(session=session, article=article, status="draft")
    set_status(session=session, article=article, status="archived")

    assert published_at is not None
    assert article.published_at == published_at
    revisions = list_revisions(session=session, article=article)
    assert [r.status for r in revisions] == [
        ArticleStatus.DRAFT,
        ArticleStatus.IN_REVIEW,
        ArticleStatus.PUBLISHED,
        ArticleStatus.DRAFT,
        ArticleStatus.ARCHIVED,
    ]
    assert revisions[1].author_id == editor.id
    assert revisions[2].note == "go"
    assert all(r.body == article.body for r in revisions)
    assert new_changes(session, before) == [("article", article.id)] * 4


def test_set_status_to_the_same_status_is_a_no_op(session: Session) -> None:
    """Setting the status an article already has writes nothing."""
    article = reset_password(session).article
    before = latest_change_id(session=session)
    assert set_status(session=session, article=article, status="draft") is article
    assert article.revision_number == 1
    assert latest_change_id(session=session) == before


def test_set_status_rejects_unknown_status(session: Session) -> None:
    """An unknown status names the valid ones."""
    article = reset_password(session).article
    with pytest.raises(ArticleError, match="unknown article status 'live'; expected one of draft"):
        set_status(session=session, article=article, status="live")


# validation


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": "   "}, "title is empty"),
        ({"title": "t" * 201}, "title is 201 characters; the limit is 200"),
        ({"slug": "Reset Password"}, "slug 'Reset Password' is invalid"),
        ({"slug": "reset--password"}, "slug 'reset--password' is invalid"),
        ({"slug": "r" * 121}, "at most 120 characters"),
        ({"body": "b" * (MAX_BODY + 1)}, "body is 200,001 characters; the limit is 200,000"),
        ({"tags": [f"t{n}" for n in range(21)]}, "21 tags given; the limit is 20"),
        ({"tags": ["x" * 41]}, "is 41 characters; the limit is 40"),
        ({"tags": "login"}, "tags must be a list of strings, not a single string"),
        ({"status": "live"}, "unknown article status 'live'"),
        ({"category": "nowhere"}, "unknown category 'nowhere'"),
        ({"external_id": "  "}, "external_id must be 1 to 200 characters"),
        ({"phrasings": ["   "]}, "phrasing '' is 0 characters; it must be 1 to 500"),
        ({"phrasings": "forgot password"}, "phrasings must be a list of strings"),
    ],
)
def test_save_validates_input(session: Session, overrides: dict[str, object], message: str) -> None:
    """Invalid input is refused before anything is written, saying exactly what is wrong."""
    with pytest.raises(ArticleError, match=message):
        reset_password(session, **overrides)
    assert session.scalar(select(func.count()).select_from(Article)) == 0


def test_tags_are_stripped_and_deduplicated(session: Session) -> None:
    """Blank and repeated tags are dropped, order kept."""
    article = reset_password(session, tags=[" login ", "", "security", "login"]).article
    assert article.tags == ["login", "security"]


def test_category_change_is_a_revision(session: Session) -> None:
    """Moving an article to another category or out of all categories is recorded."""
    account = get_or_create_category(session=session, slug="account")
    billing = get_or_create_category(session=session, slug="billing")
    article = reset_password(session, category="account").article
    assert reset_password(session, category="billing").changed
    assert reset_password(session, category=None).changed
    assert not reset_password(session, category=None).changed
    revisions = list_revisions(session=session, article=article)
    assert [r.category_id for r in revisions] == [account.id, billing.id, None]


# delete, lookups


def test_delete_article_removes_revisions_and_phrasings(session: Session) -> None:
    """Deleting an article takes its revisions and phrasings along and tells the indexes."""
    article = reset_password(session, phrasings=["forgot password"]).article
    reset_password(session, body="Second revision.")
    keep = reset_password(session, slug="other", phrasings=["other phrasing"]).article
    article_id = article.id
    before = latest_change_id(session=session)

    delete_article(session=session, article=article)

    assert session.get(Article, article_id) is None
    revisions = select(func.count()).where(ArticleRevision.article_id == article_id)
    assert session.scalar(revisions) == 0
    phrasings = select(func.count()).where(Phrasing.article_id == article_id)
    assert session.scalar(phrasings) == 0
    assert len(list_revisions(session=session, article=keep)) == 1
    assert new_changes(session, before) == [("article", article_id)]


def test_get_article(session: Session) -> None:
    """Articles are found by slug; a missing slug raises ArticleNotFound."""
    article = reset_password(session).article
    assert get_article(session=session, slug="reset-password") is article
    with pytest.raises(ArticleNotFound, match="no article with slug 'missing'"):
        get_article(session=session, slug="missing")


def test_list_articles_filters_by_status_and_category(session: Session) -> None:
    """Listing can narrow to one status and one category; results are ordered by title."""
    get_or_create_category(session=session, slug="account")
    get_or_create_category(session=session, slug="billing")
    save_article(
        session=session, title="B invoices", body="", category="billing", status="published"
    )
    save_article(session=session, title="A login", body="", category="account", status="published")
    save_article(session=session, title="C draft", body="", category="account")

    def titles(**filters: str) -> list[str]:
        """The titles listed with these filters."""
        return [a.title for a in list_articles(session=session, **filters)]

    assert titles() == ["A login", "B invoices", "C draft"]
    assert titles(status="published") == ["A login", "B invoices"]
    assert titles(category="account") == ["A login", "C draft"]
    assert titles(status="draft", category="account") == ["C draft"]
    assert titles(category="nowhere") == []
    with pytest.raises(ArticleError, match="unknown article status"):
        list_articles(session=session, status="gone")
