"""Account forms, and the honeypot field every public posting form carries."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from kb.accounts import is_email, normalise_email
from kb.community import MAX_DISPLAY_NAME, MAX_EMAIL
from web.rendering import clean_user_text

MIN_PASSWORD = 10
MAX_PASSWORD = 128
MAX_NEXT = 500


def _strip(value: Any) -> Any:
    """Trim surrounding whitespace from text input."""
    return value.strip() if isinstance(value, str) else value


def _one_line(value: Any) -> Any:
    """User text made safe to store and squeezed onto one line (for names)."""
    return " ".join(clean_user_text(value).split()) if isinstance(value, str) else value


def _email(form: FlaskForm, field: Field) -> None:
    """Reject text that is not an e-mail address."""
    if field.data and not is_email(normalise_email(field.data)):
        raise ValidationError("Enter an email address like name@example.com.")


def new_password_field(label: str, missing: str) -> PasswordField:
    """A field for choosing a password: length limits, a hint, and no autofill of the old one."""
    return PasswordField(
        label,
        validators=[
            DataRequired(missing),
            Length(
                min=MIN_PASSWORD,
                message=f"Use at least {MIN_PASSWORD} characters for your password.",
            ),
            Length(
                max=MAX_PASSWORD,
                message=f"Use at most {MAX_PASSWORD} characters for your password.",
            ),
        ],
        description=f"At least {MIN_PASSWORD} characters. A few unrelated words work well.",
        render_kw={"autocomplete": "new-password", "maxlength": MAX_PASSWORD},
    )


def confirm_field(label: str, missing: str) -> PasswordField:
    """The chosen password typed again; must equal the form's ``password`` field."""
    return PasswordField(
        label,
        validators=[
            DataRequired(missing),
            Length(max=MAX_PASSWORD),
            EqualTo("password", message="The two passwords don't match."),
        ],
        render_kw={"autocomplete": "new-password", "maxlength": MAX_PASSWORD},
    )


class HoneypotForm(FlaskForm):  # type: ignore[misc]
    """A form with a field people never see; bots that fill every field give themselves away."""

    website = StringField(
        "Leave this empty",
        validators=[Optional(), Length(max=200)],
        render_kw={"tabindex": "-1", "autocomplete": "off"},
    )

    def caught_bot(self) -> bool:
        """Whether the hidden field was filled in (so only a bot could have sent this)."""
        return bool((self.website.data or "").strip())


class SignUpForm(HoneypotForm):
    """Create a customer account."""

    email = StringField(
        "Email address",
        filters=[_strip],
        validators=[
            DataRequired("Enter your email address."),
            Length(
                max=MAX_EMAIL, message=f"Use an email address of at most {MAX_EMAIL} characters."
            ),
            _email,
        ],
        render_kw={"autocomplete": "email", "maxlength": MAX_EMAIL, "spellcheck": "false"},
    )
    display_name = StringField(
        "Display name",
        filters=[_one_line],
        validators=[
            DataRequired("Choose a display name."),
            Length(
                max=MAX_DISPLAY_NAME,
                message=f"Use a display name of at most {MAX_DISPLAY_NAME} characters.",
            ),
        ],
        description="Shown next to your questions and answers.",
        render_kw={"autocomplete": "nickname", "maxlength": MAX_DISPLAY_NAME},
    )
    password = new_password_field("Password", "Choose a password.")
    confirm = confirm_field("Confirm password", "Type your password again.")
    next = HiddenField(validators=[Optional(), Length(max=MAX_NEXT)])


class SignInForm(FlaskForm):  # type: ignore[misc]
    """Sign in with email and password."""

    email = StringField(
        "Email address",
        filters=[_strip],
        validators=[
            DataRequired("Enter your email address."),
            Length(
                max=MAX_EMAIL, message=f"Use an email address of at most {MAX_EMAIL} characters."
            ),
        ],
        render_kw={"autocomplete": "username", "maxlength": MAX_EMAIL, "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Enter your password."),
            Length(max=MAX_PASSWORD, message=f"Passwords are at most {MAX_PASSWORD} characters."),
        ],
        render_kw={"autocomplete": "current-password", "maxlength": MAX_PASSWORD},
    )
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField(validators=[Optional(), Length(max=MAX_NEXT)])


class ChangePasswordForm(FlaskForm):  # type: ignore[misc]
    """Change your own password: the current one, then the new one twice."""

    current = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "current-password", "maxlength": MAX_PASSWORD},
    )
    password = new_password_field("New password", "Choose a new password.")
    confirm = confirm_field("Confirm new password", "Type your new password again.")
