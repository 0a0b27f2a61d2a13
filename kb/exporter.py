"""Export the knowledge base as JSONL in the same schema ``tier0 kb import`` reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kb.models import Article, Category, Question


def export_rows(session: Session) -> Iterator[dict[str, Any]]:
    """Categories, then articles, then community questions with their answers."""
    for category in session.scalars(select(Category).order_by(Category.position, Category.slug)):
        yield {
            "type": "category",
            "slug": category.slug,
            "name": category.name,
            "description": category.description,
            "order": category.position,
        }
    articles = select(Article).options(selectinload(Article.phrasings)).order_by(Article.slug)
    for article in session.scalars(articles).unique():
        yield {
            "type": "article",
            "slug": article.slug,
            "external_id": article.external_id,
            "title": article.title,
            "summary": article.summary,
            "body": article.body,
            "category": article.category.slug if article.category else None,
            "tags": list(article.tags),
            "status": article.status.value,
            "phrasings": [p.text for p in article.phrasings],
            "author": article.author.display_name if article.author else None,
        }
    questions = select(Question).options(selectinload(Question.answers)).order_by(Question.id)
    for question in session.scalars(questions).unique():
        yield {
            "type": "question",
            "external_id": question.external_id or f"question-{question.id}",
            "title": question.title,
            "body": question.body,
            "author": question.author.display_name if question.author else None,
            "category": question.category.slug if question.category else None,
            "status": question.status.value,
            "answers": [
                {
                    "body": a.body,
                    "author": a.author.display_name if a.author else None,
                    "score": a.score,
                    "accepted": a.accepted,
                }
                for a in question.answers
            ],
        }
