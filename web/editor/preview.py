"""The live preview: an article body rendered exactly as the help centre will show it (sanitised)."""

from __future__ import annotations

from flask import Response, jsonify, request

from kb.articles import MAX_BODY
from web.editor import bp
from web.editor.errors import FormProblem
from web.rendering import render_article
from web.roles import EDITORS, staff_required


@bp.post("/preview")
@staff_required(*EDITORS)
def preview() -> Response:
    """The posted Markdown (JSON ``{"body": …}`` or a form field) as sanitised HTML, as JSON."""
    if request.is_json:
        data = request.get_json(silent=True)
        body = data.get("body", "") if isinstance(data, dict) else None
    else:
        body = request.form.get("body", "")
    if not isinstance(body, str):
        raise FormProblem("Send the article body as text in the field “body”.")
    if len(body) > MAX_BODY:
        raise FormProblem(f"The body is {len(body):,} characters; use at most {MAX_BODY:,}.")
    rendered = render_article(body)
    response = jsonify(
        html=rendered.html,
        headings=[
            {"level": h.level, "anchor": h.anchor, "text": h.text} for h in rendered.headings
        ],
    )
    response.headers["Cache-Control"] = "no-store"
    return response
