"""The staff JSON API for the content-gap report: failed customer questions grouped by meaning.

``GET /api/v1/content-gaps`` needs ``Authorization: Bearer <staff token>`` of an editor or admin;
being token-authenticated it is exempt from CSRF.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from spectree import Response as Responses

from kb.content_gaps import KINDS, content_gaps
from web.api import bp
from web.api.schemas import ErrorResponse
from web.api.spec import STAFF_TOKEN, api_spec
from web.db import db_session
from web.extensions import report_embedder
from web.roles import EDITORS, api_endpoint


class GapGroupOut(BaseModel):
    """Failed questions that mean the same thing."""

    key: str = Field(description="Identifies the group's exact questions (changes as they do).")
    title: str = Field(description="A suggested article title: the group's most typical question.")
    count_7: int = Field(description="How often it was asked in the last 7 days.")
    count_30: int = Field(description="How often it was asked in the last 30 days.")
    trend: Literal["rising", "steady"] = Field(
        description="rising: the last 7 days' daily rate is at least 1.5 × the 23 days before's "
        "(and at least 3 asks)."
    )
    examples: list[str] = Field(description="Up to 5 distinct questions, most asked first.")
    kinds: dict[str, int] = Field(description=f"Why the questions failed: {', '.join(KINDS)}.")


class ContentGaps(BaseModel):
    """The content-gap report of the last 30 days, most asked first."""

    groups: list[GapGroupOut]


@bp.get("/content-gaps")
@api_endpoint(*EDITORS)
@api_spec.validate(
    resp=Responses(HTTP_200=ContentGaps, HTTP_401=ErrorResponse, HTTP_403=ErrorResponse),
    tags=["content gaps"],
    operation_id="listContentGaps",
    security=STAFF_TOKEN,
)
def list_content_gaps() -> ContentGaps:
    """List the last 30 days' failed questions grouped by meaning (editors and admins)."""
    groups = content_gaps(session=db_session(), embedder=report_embedder())
    return ContentGaps(groups=[GapGroupOut(**group.as_json()) for group in groups])
