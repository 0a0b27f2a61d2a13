"""The editor console: article owners and review dates, a pending draft revision beside the live
version, former slugs that redirect, each revision's slug, and what the bot did with articles.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 12:40:00

Generated with ``alembic revision --autogenerate`` against a database at 0004, then reviewed:
a server default on the NOT NULL column added to a table that may already hold rows, and the
slug of existing revisions filled in from their article.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the editor console's tables and columns."""
    op.create_table(
        "held_keywords",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("keyword", sa.String(length=100), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by"],
            ["users.id"],
            name=op.f("fk_held_keywords_added_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_keywords")),
        sa.UniqueConstraint("keyword", name=op.f("uq_held_keywords_keyword")),
    )
    op.create_table(
        "article_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("conversation_ref", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_events_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_events")),
    )
    with op.batch_alter_table("article_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_article_events_article_id_kind", ["article_id", "kind"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_article_events_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "article_redirects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("old_slug", sa.String(length=120), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_redirects_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_redirects")),
        sa.UniqueConstraint("old_slug", name=op.f("uq_article_redirects_old_slug")),
    )
    with op.batch_alter_table("article_redirects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_article_redirects_article_id"), ["article_id"], unique=False
        )

    with op.batch_alter_table("article_revisions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("slug", sa.String(length=120), nullable=False, server_default="")
        )

    op.execute(
        "UPDATE article_revisions SET slug = "
        "(SELECT slug FROM articles WHERE articles.id = article_revisions.article_id)"
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("review_by", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("draft_revision", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_articles_owner_id_users"),
            "users",
            ["owner_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    """Remove them again."""
    op.drop_table("held_keywords")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_articles_owner_id_users"), type_="foreignkey")
        batch_op.drop_column("draft_revision")
        batch_op.drop_column("review_by")
        batch_op.drop_column("owner_id")

    with op.batch_alter_table("article_revisions", schema=None) as batch_op:
        batch_op.drop_column("slug")

    with op.batch_alter_table("article_redirects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_redirects_article_id"))

    op.drop_table("article_redirects")
    with op.batch_alter_table("article_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_events_created_at"))
        batch_op.drop_index("ix_article_events_article_id_kind")

    op.drop_table("article_events")
