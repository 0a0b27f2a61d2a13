"""kb.staff: staff accounts, their roles, suspension, and the guard that keeps an active admin."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from kb import staff
from kb.accounts import EmailTaken, create_customer
from kb.models import Role, User
from kb.staff import StaffError


@pytest.fixture(autouse=True)
def writing(session: Session) -> None:
    """Start the test's transaction with a write and make the existing admins agents.

    pysqlite begins a transaction only at the first write, so a SAVEPOINT before any write starts
    one of its own and its RELEASE commits; writing first keeps every test's rows rolled back.
    """
    session.execute(update(User).where(User.role == Role.ADMIN).values(role=Role.AGENT))


def person(session: Session, role: str = "agent", **fields: object) -> User:
    """A new staff member with a unique address."""
    values: dict[str, object] = {
        "email": f"s{uuid.uuid4().hex[:8]}@example.com",
        "display_name": "Sam Staff",
        "role": role,
        "password_hash": "hash",
    }
    values.update(fields)
    return staff.create_staff(session=session, **values)  # type: ignore[arg-type]


def test_create_staff_normalises_and_stores(session: Session) -> None:
    """Email in lower case, name on one line, role from text; no password is allowed."""
    user = staff.create_staff(
        session=session,
        email="  Ada@Example.COM ",
        display_name=" Ada \n Lovelace ",
        role="Editor",
        password_hash=None,
    )
    assert (user.email, user.display_name, user.role) == (
        "ada@example.com",
        "Ada Lovelace",
        "editor",
    )
    assert user.password_hash is None and not user.suspended
    assert user in staff.list_staff(session=session)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"role": "customer"}, "agent, editor, admin; 'customer' is not"),
        ({"role": "boss"}, "'boss' is not"),
        ({"email": "not-an-email"}, "'not-an-email' is not an email address"),
        ({"display_name": "   "}, "display name must be 1 to"),
        ({"display_name": "x" * 81}, "display name must be 1 to"),
        ({"password_hash": ""}, "password hash must be"),
    ],
)
def test_create_staff_rejects_bad_fields(
    session: Session, fields: dict[str, object], message: str
) -> None:
    """Each invalid field is refused with a message naming it."""
    with pytest.raises(StaffError, match=message):
        person(session, **fields)


def test_create_staff_refuses_a_taken_address(session: Session) -> None:
    """Staff and customers share one address space."""
    create_customer(session=session, email="taken@example.com", display_name="C", password_hash="h")
    with pytest.raises(EmailTaken, match=r"taken@example\.com"):
        person(session, email="TAKEN@example.com")


def test_list_staff_leaves_out_customers_and_orders_by_role(session: Session) -> None:
    """Admins, then editors, then agents; customers never."""
    agent, admin = person(session, "agent"), person(session, "admin")
    editor = person(session, "editor")
    customer = create_customer(
        session=session, email="cust@example.com", display_name="C", password_hash="h"
    )
    listed = staff.list_staff(session=session)
    assert customer not in listed
    mine = [user for user in listed if user in (agent, admin, editor)]
    assert [user.role for user in mine] == [Role.ADMIN, Role.EDITOR, Role.AGENT]


def test_set_role_and_find(session: Session) -> None:
    """An agent becomes an editor; found by id and by email."""
    user = person(session)
    assert staff.set_role(session=session, user_id=user.id, role="editor").role == Role.EDITOR
    assert staff.find_staff(session=session, email=user.email or "") is user
    with pytest.raises(StaffError, match="There is no staff member with id 999999"):
        staff.set_role(session=session, user_id=999_999, role="agent")
    with pytest.raises(StaffError, match="'customer' is not"):
        staff.set_role(session=session, user_id=user.id, role="customer")


def test_customers_are_not_staff(session: Session) -> None:
    """Staff functions do not touch customer accounts."""
    customer = create_customer(
        session=session, email="c2@example.com", display_name="C", password_hash="h"
    )
    with pytest.raises(StaffError, match="no staff member"):
        staff.set_role(session=session, user_id=customer.id, role="admin")
    with pytest.raises(StaffError, match="no staff member with the email"):
        staff.find_staff(session=session, email="c2@example.com")


def test_the_last_active_admin_cannot_be_demoted_or_suspended(session: Session) -> None:
    """With one active admin, demoting or suspending them is refused; with two it is fine."""
    only = person(session, "admin", display_name="Only Admin")
    with pytest.raises(StaffError, match="Only Admin is the only active admin"):
        staff.set_role(session=session, user_id=only.id, role="agent")
    with pytest.raises(StaffError, match="only active admin and can't be suspended"):
        staff.set_suspended(session=session, user_id=only.id, suspended=True)
    assert only.role == Role.ADMIN and not only.suspended

    second = person(session, "admin")
    staff.set_suspended(session=session, user_id=second.id, suspended=True, by_id=only.id)
    with pytest.raises(StaffError, match="only active admin"):  # a suspended admin does not count
        staff.set_role(session=session, user_id=only.id, role="editor")
    staff.set_suspended(session=session, user_id=second.id, suspended=False, by_id=only.id)
    assert staff.set_role(session=session, user_id=only.id, role="editor").role == Role.EDITOR
    with pytest.raises(StaffError, match="only active admin"):
        staff.set_role(session=session, user_id=second.id, role="agent")


def test_a_suspended_admin_can_be_demoted(session: Session) -> None:
    """The guard is about active admins only."""
    active, suspended = person(session, "admin"), person(session, "admin")
    staff.set_suspended(session=session, user_id=suspended.id, suspended=True, by_id=active.id)
    assert staff.set_role(session=session, user_id=suspended.id, role="agent").role == Role.AGENT


def test_nobody_suspends_themselves(session: Session) -> None:
    """Even with other admins around; reactivating works."""
    admin, other = person(session, "admin"), person(session, "admin")
    with pytest.raises(StaffError, match="can't suspend your own account"):
        staff.set_suspended(session=session, user_id=admin.id, suspended=True, by_id=admin.id)
    agent = person(session)
    assert staff.set_suspended(session=session, user_id=agent.id, suspended=True, by_id=other.id)
    assert agent.suspended
    staff.set_suspended(session=session, user_id=agent.id, suspended=False, by_id=other.id)
    assert not agent.suspended
