"""Chat: customers, conversations, messages, escalations and their state changes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 09:18:59

Generated with ``alembic revision --autogenerate`` against a database at 0002, then reviewed:
enums spelled out here so the migration never changes when kb.models does, index creation moved
out of batch blocks (nothing to rebuild in a new table), and server defaults on every column the
models default, so rows written by hand or by other tools are valid too.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    """A portable string enum (VARCHAR(32), no database type), as kb.models declares them."""
    return sa.Enum(*values, name=name, native_enum=False, length=32)


CONVERSATION_STATE = ("bot", "queued", "assigned", "resolved")
SENDER = ("customer", "bot", "agent", "system")
ESCALATION_STATE = ("queued", "assigned", "resolved", "bot")
EMPTY_OBJECT = sa.text("'{}'")
EMPTY_LIST = sa.text("'[]'")


def upgrade() -> None:
    """Create the chat tables."""
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False, server_default=""),
        sa.Column("plan", sa.String(length=32), nullable=False, server_default="free"),
        sa.Column("attributes", sa.JSON(), nullable=False, server_default=EMPTY_OBJECT),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("external_id", name=op.f("uq_customers_external_id")),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column(
            "state",
            _enum("conversationstate", *CONVERSATION_STATE),
            nullable=False,
            server_default="bot",
        ),
        sa.Column("context", sa.JSON(), nullable=False, server_default=EMPTY_OBJECT),
        sa.Column("asked_email", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("handed_back", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_customer_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_conversations_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("public_id", name=op.f("uq_conversations_public_id")),
    )
    op.create_index(
        op.f("ix_conversations_customer_id"), "conversations", ["customer_id"], unique=False
    )
    op.create_index(op.f("ix_conversations_state"), "conversations", ["state"], unique=False)

    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            _enum("escalationstate", *ESCALATION_STATE),
            nullable=False,
            server_default="queued",
        ),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("reason_detail", sa.String(length=500), nullable=False, server_default=""),
        sa.Column("summary", sa.Text(), nullable=False, server_default=""),
        sa.Column("context", sa.JSON(), nullable=False, server_default=EMPTY_OBJECT),
        sa.Column("plan", sa.String(length=32), nullable=False, server_default="free"),
        sa.Column("assigned_to", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_to"],
            ["users.id"],
            name=op.f("fk_escalations_assigned_to_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_escalations_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    op.create_index(
        op.f("ix_escalations_assigned_to"), "escalations", ["assigned_to"], unique=False
    )
    op.create_index(
        op.f("ix_escalations_conversation_id"), "escalations", ["conversation_id"], unique=False
    )
    op.create_index(
        "ix_escalations_state_created_at", "escalations", ["state", "created_at"], unique=False
    )

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("sender", _enum("sender", *SENDER), nullable=False),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
        sa.Column("payload", sa.String(length=500), nullable=True),
        sa.Column("buttons", sa.JSON(), nullable=False, server_default=EMPTY_LIST),
        sa.Column("articles", sa.JSON(), nullable=False, server_default=EMPTY_LIST),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("confidence", sa.Double(), nullable=True),
        sa.Column("tone", sa.Double(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index(
        "ix_messages_conversation_id_id", "messages", ["conversation_id", "id"], unique=False
    )

    op.create_table(
        "escalation_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("from_state", _enum("escalationstate", *ESCALATION_STATE), nullable=True),
        sa.Column("to_state", _enum("escalationstate", *ESCALATION_STATE), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False, server_default=""),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalations.id"],
            name=op.f("fk_escalation_events_escalation_id_escalations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_events")),
    )
    op.create_index(
        op.f("ix_escalation_events_escalation_id"),
        "escalation_events",
        ["escalation_id"],
        unique=False,
    )


def downgrade() -> None:
    """Drop the chat tables (indexes go with them)."""
    op.drop_table("escalation_events")
    op.drop_table("messages")
    op.drop_table("escalations")
    op.drop_table("conversations")
    op.drop_table("customers")
