"""Community forms: ask (two steps), answer, flag. Limits here are the friendly ones people see."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from kb.moderation import MAX_FLAG_REASON
from web.auth.forms import HoneypotForm
from web.rendering import clean_user_text

MAX_TITLE = 200
MAX_QUESTION_BODY = 10_000
MAX_ANSWER = 10_000
NO_TOPIC = "Choose a topic (optional)"


def _clean(value: Any) -> Any:
    """User text as it may be stored (no markup, no control characters)."""
    return clean_user_text(value) if isinstance(value, str) else value


def _title_field() -> StringField:
    """The question title, shared by both steps."""
    return StringField(
        "Your question",
        filters=[_clean],
        validators=[
            DataRequired("Write your question in a sentence."),
            Length(
                max=MAX_TITLE,
                message=f"Keep the question to {MAX_TITLE} characters; put details below.",
            ),
        ],
        description="One sentence, e.g. “Can I return boots I wore outside?”",
        render_kw={"autocomplete": "off", "spellcheck": "true"},
    )


class TitleForm(FlaskForm):  # type: ignore[misc]
    """Step one of asking: the title only, sent with GET to see similar answers first."""

    class Meta:
        """A GET form changes nothing, so it needs no CSRF token."""

        csrf = False

    title = _title_field()


class QuestionForm(HoneypotForm):
    """Step two: the whole question, posted."""

    def set_topics(self, topics: list[tuple[str, str]]) -> None:
        """Offer these (slug, name) topics in the topic list."""
        self.category.choices = [SelectChoice("", NO_TOPIC)] + [
            SelectChoice(slug, name) for slug, name in topics
        ]

    title = _title_field()
    body = TextAreaField(
        "Details (optional)",
        filters=[_clean],
        validators=[
            Optional(),
            Length(
                max=MAX_QUESTION_BODY,
                message=f"Keep the details to {MAX_QUESTION_BODY:,} characters.",
            ),
        ],
        description="What you tried, your order or product, anything that helps others answer. "
        "Markdown works for lists, **bold** and links.",
        render_kw={"rows": 8},
    )
    category = SelectField(
        "Topic",
        choices=[SelectChoice("", NO_TOPIC)],
        default="",
        invalid_choice_message="Choose a topic from the list.",
    )
    event_id = HiddenField(validators=[Optional()])

    def search_event(self) -> int | None:
        """The id of the suggestion search this question follows, if it is a sane number."""
        raw = (self.event_id.data or "").strip()
        return int(raw) if raw.isdigit() and len(raw) < 12 else None


class AnswerForm(HoneypotForm):
    """An answer to a question."""

    body = TextAreaField(
        "Your answer",
        id="answer-body",
        filters=[_clean],
        validators=[
            DataRequired("Write your answer before posting it."),
            Length(max=MAX_ANSWER, message=f"Keep your answer to {MAX_ANSWER:,} characters."),
        ],
        description="Share what worked for you. Markdown works for lists, **bold** and links.",
        render_kw={"rows": 7},
    )


class FlagForm(FlaskForm):  # type: ignore[misc]
    """Report a post to the moderators."""

    reason = StringField(
        "Why? (optional)",
        filters=[_clean],
        validators=[
            Optional(),
            Length(
                max=MAX_FLAG_REASON, message=f"Keep the reason to {MAX_FLAG_REASON} characters."
            ),
        ],
    )


class VoteForm(FlaskForm):  # type: ignore[misc]
    """An up or down vote."""

    value = IntegerField(
        validators=[
            DataRequired("Choose up or down."),
            NumberRange(min=-1, max=1, message="A vote is up (1) or down (-1)."),
        ]
    )
