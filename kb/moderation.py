"""Community moderation rules: what waits for review, and flags that hide a post.

Pure checks plus session-taking services that only flush; the caller commits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kb.community import CommunityError, set_moderation
from kb.config import Settings
from kb.models import (
    Answer,
    Flag,
    FlagTarget,
    HeldKeyword,
    Moderation,
    ModerationAction,
    Question,
    User,
    utcnow,
)

MAX_FLAG_REASON = 500
_LINK = re.compile(r"https?://|www\.|\[[^\]]*\]\([^)]*\)", re.I)


@dataclass(frozen=True, slots=True)
class PostRules:
    """The moderation settings a new post is checked against."""

    held_keywords: Sequence[str] = ()
    new_account_days: int = 3
    new_account_max_links: int = 1

    @classmethod
    def from_settings(cls, settings: Settings) -> PostRules:
        """The rules configured in ``settings``."""
        return cls(
            held_keywords=tuple(settings.held_keywords),
            new_account_days=settings.new_account_days,
            new_account_max_links=settings.new_account_max_links,
        )

    @classmethod
    def for_site(cls, *, session: Session, settings: Settings) -> PostRules:
        """The configured rules with the held keywords moderators keep (see ``held_keywords``)."""
        rules = cls.from_settings(settings)
        keywords = held_keywords(session=session, configured=rules.held_keywords)
        return cls(
            held_keywords=tuple(keywords),
            new_account_days=rules.new_account_days,
            new_account_max_links=rules.new_account_max_links,
        )


class LinkLimitExceeded(CommunityError):
    """A new account tried to post more links than it may."""


@dataclass(frozen=True, slots=True)
class FlagOutcome:
    """What a flag did: whether it was new, how many distinct flags, whether the post is now held."""

    counted: bool
    flags: int
    hidden: bool


def count_links(text: str) -> int:
    """How many links a post holds (bare URLs and Markdown links)."""
    return len(_LINK.findall(text))


def check_post(
    text: str, *, author: User, rules: PostRules, now: datetime | None = None
) -> Moderation:
    """The state a new post starts in; raises LinkLimitExceeded for too many links from a new account.

    Posts with a held keyword start ``pending`` (shown once a moderator approves them).
    """
    now = now or utcnow()
    created = (
        author.created_at
        if author.created_at.tzinfo
        else author.created_at.replace(tzinfo=now.tzinfo)
    )
    is_new = now - created < timedelta(days=rules.new_account_days)
    if is_new and count_links(text) > rules.new_account_max_links:
        raise LinkLimitExceeded(
            f"New accounts can include at most {rules.new_account_max_links} "
            f"link{'s' if rules.new_account_max_links != 1 else ''} per post for their first "
            f"{rules.new_account_days} days. Please remove some links."
        )
    return Moderation.PENDING if held_keyword(text, rules.held_keywords) else Moderation.VISIBLE


KEYWORDS_EDITED = "keywords"
"""The ModerationAction.action saying moderators edited the held-keyword list."""


def held_keywords(*, session: Session, configured: Sequence[str]) -> list[str]:
    """The effective held keywords: the moderators' list once they have edited it, else ``configured``."""
    edited = session.scalar(
        select(ModerationAction.id).where(ModerationAction.action == KEYWORDS_EDITED).limit(1)
    )
    if edited is None:
        return list(configured)
    return list(session.scalars(select(HeldKeyword.keyword).order_by(HeldKeyword.keyword)))


def held_keyword(text: str, keywords: Sequence[str]) -> str | None:
    """The first held keyword in ``text`` (whole words, any case), or None."""
    lowered = " ".join(text.lower().split())
    for keyword in keywords:
        word = " ".join(keyword.lower().split())
        if word and re.search(rf"(?<!\w){re.escape(word)}(?!\w)", lowered):
            return keyword
    return None


def flag_post(
    *,
    session: Session,
    post: Question | Answer,
    user: User,
    reason: str = "",
    hide_threshold: int = 3,
) -> FlagOutcome:
    """Record ``user``'s flag (once per person); at ``hide_threshold`` flags the post is held for review."""
    target = FlagTarget.QUESTION if isinstance(post, Question) else FlagTarget.ANSWER
    reason = " ".join(reason.split())
    if len(reason) > MAX_FLAG_REASON:
        raise CommunityError(f"The reason is too long (at most {MAX_FLAG_REASON} characters).")
    counted = True
    try:
        with session.begin_nested():
            session.add(Flag(target=target, target_id=post.id, user_id=user.id, reason=reason))
    except IntegrityError:
        counted = False
    flags = open_flags(session=session, target=target, target_id=post.id)
    hidden = False
    if flags >= hide_threshold and post.moderation == Moderation.VISIBLE:
        set_moderation(session=session, answer_or_question=post, state=Moderation.PENDING)
        post.moderation_reason = f"Hidden after {flags} flags, waiting for review"
        hidden = True
    session.flush()
    return FlagOutcome(
        counted=counted, flags=flags, hidden=hidden or post.moderation != Moderation.VISIBLE
    )


def open_flags(*, session: Session, target: FlagTarget, target_id: int) -> int:
    """How many unresolved flags a post has."""
    query = select(func.count()).where(
        Flag.target == target, Flag.target_id == target_id, Flag.resolved.is_(False)
    )
    return int(session.scalar(query) or 0)


def has_flagged(*, session: Session, post: Question | Answer, user: User) -> bool:
    """Whether ``user`` has already flagged ``post``."""
    return bool(flagged_by(session=session, user=user, posts=[post]))


def flagged_by(
    *, session: Session, user: User, posts: Sequence[Question | Answer]
) -> set[tuple[FlagTarget, int]]:
    """Which of ``posts`` ``user`` has flagged, as (target, id) pairs, in one query."""
    questions = [p.id for p in posts if isinstance(p, Question)]
    answers = [p.id for p in posts if isinstance(p, Answer)]
    if not questions and not answers:
        return set()
    query = select(Flag.target, Flag.target_id).where(
        Flag.user_id == user.id,
        ((Flag.target == FlagTarget.QUESTION) & Flag.target_id.in_(questions))
        | ((Flag.target == FlagTarget.ANSWER) & Flag.target_id.in_(answers)),
    )
    return {(FlagTarget(target), target_id) for target, target_id in session.execute(query)}
