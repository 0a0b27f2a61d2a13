"""Staff accounts: agents, editors and admins — create, list, change role, suspend.

Hashing passwords is the caller's job; a staff member without a password can only use API
tokens. There is always an active admin: demoting or suspending the last one is refused, and
nobody suspends themselves. Functions flush; the caller commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kb.accounts import MAX_PASSWORD_HASH, EmailTaken, find_user_by_email, is_email, normalise_email
from kb.community import MAX_DISPLAY_NAME, MAX_EMAIL
from kb.models import Role, User

STAFF_ROLES = (Role.AGENT, Role.EDITOR, Role.ADMIN)
ROLE_NAMES = ", ".join(role.value for role in STAFF_ROLES)


class StaffError(ValueError):
    """A change to staff accounts that is not allowed; the message says why."""


def staff_role(value: str | Role) -> Role:
    """``value`` as a staff role; raises StaffError for customers and unknown roles."""
    try:
        role = Role(value.strip().lower() if isinstance(value, str) else value)
    except ValueError:
        role = None
    if role not in STAFF_ROLES:
        raise StaffError(f"A staff role is one of {ROLE_NAMES}; {str(value)!r} is not.")
    return role


def create_staff(
    *,
    session: Session,
    email: str,
    display_name: str,
    role: str | Role,
    password_hash: str | None,
) -> User:
    """A new staff account; raises EmailTaken, or StaffError for an invalid field."""
    email = normalise_email(email)
    display_name = " ".join(display_name.split())
    role = staff_role(role)
    if not is_email(email):
        raise StaffError(f"{email!r} is not an email address of at most {MAX_EMAIL} characters.")
    if not 1 <= len(display_name) <= MAX_DISPLAY_NAME:
        raise StaffError(f"A display name must be 1 to {MAX_DISPLAY_NAME} characters.")
    if password_hash is not None and not 1 <= len(password_hash) <= MAX_PASSWORD_HASH:
        raise StaffError(f"A password hash must be 1 to {MAX_PASSWORD_HASH} characters.")
    if find_user_by_email(session=session, email=email) is not None:
        raise EmailTaken(f"An account with {email} already exists.")
    user = User(email=email, display_name=display_name, role=role, password_hash=password_hash)
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError:  # created by someone else at the same moment
        raise EmailTaken(f"An account with {email} already exists.") from None
    return user


def list_staff(*, session: Session) -> list[User]:
    """Every staff member, admins first, then editors and agents, each by name."""
    order = {Role.ADMIN: 0, Role.EDITOR: 1, Role.AGENT: 2}
    people = session.scalars(select(User).where(User.role.in_(STAFF_ROLES)))
    return sorted(people, key=lambda user: (order[user.role], user.display_name.lower(), user.id))


def get_staff(*, session: Session, user_id: int) -> User:
    """The staff member with this id; raises StaffError if there is none."""
    user = session.get(User, user_id)
    if user is None or user.role not in STAFF_ROLES:
        raise StaffError(f"There is no staff member with id {user_id}.")
    return user


def find_staff(*, session: Session, email: str) -> User:
    """The staff member with this email address; raises StaffError if there is none."""
    user = find_user_by_email(session=session, email=email)
    if user is None or user.role not in STAFF_ROLES:
        raise StaffError(f"There is no staff member with the email address {email.strip()!r}.")
    return user


def set_role(*, session: Session, user_id: int, role: str | Role) -> User:
    """Give a staff member another staff role; refuses to demote the last active admin."""
    user = get_staff(session=session, user_id=user_id)
    role = staff_role(role)
    if user.role == Role.ADMIN and role != Role.ADMIN and _last_active_admin(session, user):
        raise StaffError(
            f"{user.display_name} is the only active admin; make someone else an admin first."
        )
    user.role = role
    session.flush()
    return user


def set_suspended(
    *, session: Session, user_id: int, suspended: bool, by_id: int | None = None
) -> User:
    """Suspend or reactivate a staff member (``by_id`` acting); never yourself or the last admin."""
    user = get_staff(session=session, user_id=user_id)
    if suspended and by_id == user.id:
        raise StaffError("You can't suspend your own account; ask another admin.")
    if suspended and user.role == Role.ADMIN and _last_active_admin(session, user):
        raise StaffError(
            f"{user.display_name} is the only active admin and can't be suspended; "
            "make someone else an admin first."
        )
    user.suspended = suspended
    session.flush()
    return user


def _last_active_admin(session: Session, user: User) -> bool:
    """Whether ``user`` is an active admin and no other active admin exists (rows locked)."""
    if user.suspended or user.role != Role.ADMIN:
        return False
    admins = select(User.id).where(User.role == Role.ADMIN, User.suspended.is_(False))
    # Lock the admins' rows (PostgreSQL) so two demotions at once cannot both pass this check.
    ids = session.scalars(admins.with_for_update())
    return all(admin_id == user.id for admin_id in ids)
