"""The editor console's forms: an article's fields, a note for a workflow move, a phrasing."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from kb.articles import MAX_BODY, MAX_PHRASING, MAX_SLUG, MAX_TAG, MAX_TAGS, MAX_TITLE

MAX_NOTE = 500
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def _squeeze(value: object) -> object:
    """Text trimmed and on one line (titles, slugs, tags)."""
    return " ".join(value.split()) if isinstance(value, str) else value


def _trim(value: object) -> object:
    """Text without surrounding whitespace."""
    return value.strip() if isinstance(value, str) else value


def split_tags(text: str) -> list[str]:
    """Comma-separated tags as a list, empty ones dropped (kb checks lengths and duplicates)."""
    return [tag.strip() for tag in text.split(",") if tag.strip()]


class ArticleForm(FlaskForm):  # type: ignore[misc]
    """An article's content and bookkeeping, as the new and edit pages show it."""

    title = StringField(
        "Title",
        filters=[_squeeze],
        validators=[
            DataRequired("Give the article a title."),
            Length(max=MAX_TITLE, message=f"Use at most {MAX_TITLE} characters for the title."),
        ],
        render_kw={"maxlength": MAX_TITLE},
    )
    slug = StringField(
        "Slug",
        filters=[_squeeze],
        validators=[
            Optional(),
            Length(max=MAX_SLUG, message=f"Use at most {MAX_SLUG} characters for the slug."),
            Regexp(
                SLUG_PATTERN,
                message="Use lowercase letters, digits and single hyphens, e.g. reset-password.",
            ),
        ],
        description="The end of the article's web address. Leave empty to make one from the "
        "title; changing it keeps the old address working.",
        render_kw={"maxlength": MAX_SLUG, "spellcheck": "false", "autocomplete": "off"},
    )
    category = SelectField("Category", choices=[], validate_choice=True)
    tags = StringField(
        "Tags",
        filters=[_squeeze],
        description=f"Separated by commas; up to {MAX_TAGS} tags of {MAX_TAG} characters.",
    )
    summary = TextAreaField(
        "Summary",
        filters=[_trim],
        validators=[Length(max=500, message="Keep the summary under 500 characters.")],
        description="One or two sentences shown under the title in search results.",
        render_kw={"rows": 2, "maxlength": 500},
    )
    owner = SelectField(
        "Owner",
        choices=[],
        validate_choice=True,
        description="Who keeps it true; overdue articles are listed by owner.",
    )
    review_by = DateField(
        "Review by",
        validators=[Optional()],
        description="When the owner should next check it.",
    )
    body = TextAreaField(
        "Body (Markdown)",
        filters=[_trim],
        validators=[
            DataRequired("Write the article's text."),
            Length(max=MAX_BODY, message=f"Use at most {MAX_BODY:,} characters."),
        ],
        render_kw={"rows": 22, "maxlength": MAX_BODY, "spellcheck": "true"},
    )
    note = StringField(
        "Note for the history",
        filters=[_squeeze],
        validators=[Length(max=MAX_NOTE, message=f"Use at most {MAX_NOTE} characters.")],
        description="What changed and why, e.g. “New refund window from March”.",
        render_kw={"maxlength": MAX_NOTE},
    )


class NoteForm(FlaskForm):  # type: ignore[misc]
    """A workflow move or a restore, with an optional note for the history."""

    note = StringField(
        "Note",
        filters=[_squeeze],
        validators=[Length(max=MAX_NOTE, message=f"Use at most {MAX_NOTE} characters.")],
        render_kw={"maxlength": MAX_NOTE},
    )


class PhrasingForm(FlaskForm):  # type: ignore[misc]
    """One phrasing's new wording."""

    text = StringField(
        "Phrasing",
        filters=[_squeeze],
        validators=[
            DataRequired("Write the phrasing, or remove it instead."),
            Length(max=MAX_PHRASING, message=f"Use at most {MAX_PHRASING} characters."),
        ],
        render_kw={"maxlength": MAX_PHRASING},
    )
