"""Moderation rules: held keywords, link limits for new accounts, flags that hide a post."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.changes import latest_change_id
from kb.community import CommunityError, add_answer, get_or_create_user, save_question
from kb.config import Settings
from kb.models import Flag, FlagTarget, Moderation, Question, User
from kb.moderation import (
    MAX_FLAG_REASON,
    LinkLimitExceeded,
    PostRules,
    check_post,
    count_links,
    flag_post,
    flagged_by,
    has_flagged,
    held_keyword,
    open_flags,
)
from tests.kb.helpers import new_changes

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RULES = PostRules(held_keywords=("casino", "crypto giveaway"), new_account_days=3)


def person(session: Session, name: str, *, age_days: float = 30) -> User:
    """A customer whose account is ``age_days`` old at NOW."""
    user = get_or_create_user(session=session, display_name=name, email=f"{name}@example.com")
    user.created_at = NOW - timedelta(days=age_days)
    session.flush()
    return user


def question(session: Session, title: str = "Do the boots run small?") -> Question:
    """A visible question."""
    saved, _ = save_question(session=session, title=title, body="Asking for a friend.")
    return saved


# pure checks


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("no links here", 0),
        ("see https://example.com and http://x.org", 2),
        ("www.example.com", 1),
        ("[the guide](/articles/returns)", 1),
        ("HTTPS://LOUD.EXAMPLE", 1),
    ],
)
def test_count_links(text: str, links: int) -> None:
    """Bare URLs, www. addresses and Markdown links all count."""
    assert count_links(text) == links


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Best CASINO bonus", "casino"),
        ("a crypto   giveaway today", "crypto giveaway"),
        ("casinos are fun", None),  # whole words only
        ("occasional rain", None),
        ("", None),
    ],
)
def test_held_keyword_matches_whole_words_in_any_case(text: str, found: str | None) -> None:
    """Keywords match as whole words, ignoring case and extra spaces."""
    assert held_keyword(text, RULES.held_keywords) == found


def test_held_keyword_ignores_blank_keywords() -> None:
    """An empty keyword in the configuration matches nothing."""
    assert held_keyword("anything", ["", "  "]) is None


def test_post_rules_from_settings() -> None:
    """Rules come from the settings object."""
    settings = Settings(held_keywords=["spam"], new_account_days=5, new_account_max_links=2)
    assert PostRules.from_settings(settings) == PostRules(("spam",), 5, 2)


# check_post, on both databases


def test_check_post_visible_for_ordinary_text(session: Session) -> None:
    """Ordinary posts are shown at once."""
    author = person(session, "vera", age_days=0)
    assert check_post("Size up half.", author=author, rules=RULES, now=NOW) == Moderation.VISIBLE


def test_check_post_holds_keywords(session: Session) -> None:
    """A held keyword sends the post to pending, whatever the account's age."""
    author = person(session, "karl", age_days=400)
    state = check_post("Visit my Casino", author=author, rules=RULES, now=NOW)
    assert state == Moderation.PENDING


def test_check_post_limits_links_for_new_accounts(session: Session) -> None:
    """New accounts may post one link; a second raises LinkLimitExceeded with a clear message."""
    new = person(session, "nina", age_days=1)
    assert check_post("See https://a.example", author=new, rules=RULES, now=NOW) == "visible"
    with pytest.raises(LinkLimitExceeded, match="at most 1 link per post for their first 3 days"):
        check_post("https://a.example https://b.example", author=new, rules=RULES, now=NOW)


def test_check_post_allows_links_once_the_account_is_old_enough(session: Session) -> None:
    """After new_account_days the link limit no longer applies."""
    old = person(session, "otto", age_days=3)
    text = "https://a.example https://b.example https://c.example"
    assert check_post(text, author=old, rules=RULES, now=NOW) == Moderation.VISIBLE


def test_check_post_link_limit_message_plural(session: Session) -> None:
    """The message says 'links' when more than one is allowed."""
    rules = PostRules(new_account_max_links=2, new_account_days=7)
    new = person(session, "pia", age_days=0)
    with pytest.raises(LinkLimitExceeded, match="at most 2 links per post for their first 7 days"):
        check_post("www.a.example www.b.example www.c.example", author=new, rules=rules, now=NOW)


def test_link_limit_is_a_community_error() -> None:
    """Callers that handle CommunityError handle the link limit too."""
    assert issubclass(LinkLimitExceeded, CommunityError)


# flags


def test_flag_counts_once_per_person(session: Session) -> None:
    """A second flag from the same person is not counted."""
    post = question(session)
    ann = person(session, "ann")
    first = flag_post(session=session, post=post, user=ann, reason="spam", hide_threshold=3)
    again = flag_post(session=session, post=post, user=ann, hide_threshold=3)
    assert (first.counted, first.flags, first.hidden) == (True, 1, False)
    assert (again.counted, again.flags, again.hidden) == (False, 1, False)
    assert session.scalar(select(func.count()).select_from(Flag)) == 1
    assert post.moderation == Moderation.VISIBLE


def test_flags_from_distinct_people_hide_the_post(session: Session) -> None:
    """At the threshold the post is held pending, with a reason and a change record for search."""
    post = question(session)
    since = latest_change_id(session=session)
    outcomes = [
        flag_post(session=session, post=post, user=person(session, f"f{i}"), hide_threshold=3)
        for i in range(3)
    ]
    assert [o.hidden for o in outcomes] == [False, False, True]
    assert post.moderation == Moderation.PENDING
    assert post.moderation_reason == "Hidden after 3 flags, waiting for review"
    assert ("question", post.id) in new_changes(session, since)
    later = flag_post(session=session, post=post, user=person(session, "f9"), hide_threshold=3)
    assert (later.counted, later.flags, later.hidden) == (True, 4, True)


def test_flagging_an_answer_hides_only_the_answer(session: Session) -> None:
    """A flagged answer is held; its question stays visible."""
    post = question(session)
    answer = add_answer(session=session, question=post, body="Buy from my shop")
    outcome = flag_post(session=session, post=answer, user=person(session, "gil"), hide_threshold=1)
    assert outcome.hidden
    assert answer.moderation == Moderation.PENDING
    assert post.moderation == Moderation.VISIBLE
    assert open_flags(session=session, target=FlagTarget.ANSWER, target_id=answer.id) == 1


def test_flag_reason_is_tidied_and_limited(session: Session) -> None:
    """Whitespace in the reason is collapsed; an over-long reason is refused."""
    post = question(session)
    hal = person(session, "hal")
    flag_post(session=session, post=post, user=hal, reason="  rude \n\n words ")
    assert session.scalar(select(Flag.reason)) == "rude words"
    with pytest.raises(CommunityError, match=f"at most {MAX_FLAG_REASON} characters"):
        flag_post(session=session, post=post, user=person(session, "ida"), reason="x" * 501)


def test_resolved_flags_do_not_count(session: Session) -> None:
    """Only open flags count towards hiding."""
    post = question(session)
    flag_post(session=session, post=post, user=person(session, "jo"), hide_threshold=2)
    for flag in session.scalars(select(Flag)):
        flag.resolved = True
    session.flush()
    outcome = flag_post(session=session, post=post, user=person(session, "kim"), hide_threshold=2)
    assert (outcome.flags, outcome.hidden) == (1, False)


def test_has_flagged_and_flagged_by(session: Session) -> None:
    """Which posts a person has flagged, one post or many at once."""
    post = question(session)
    answer = add_answer(session=session, question=post, body="An answer")
    other = add_answer(session=session, question=post, body="Another answer")
    lou = person(session, "lou")
    assert not has_flagged(session=session, post=post, user=lou)
    flag_post(session=session, post=post, user=lou)
    flag_post(session=session, post=other, user=lou)
    assert has_flagged(session=session, post=post, user=lou)
    assert not has_flagged(session=session, post=answer, user=lou)
    assert flagged_by(session=session, user=lou, posts=[post, answer, other]) == {
        (FlagTarget.QUESTION, post.id),
        (FlagTarget.ANSWER, other.id),
    }
    assert flagged_by(session=session, user=lou, posts=[]) == set()
