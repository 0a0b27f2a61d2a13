"""Serve the widget's script and stylesheet to any site (short cache, content ETag) and a demo host page."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Response, current_app, render_template, request, url_for

from web.widget import bp

MAX_AGE = 300
"""Seconds browsers and proxies may reuse the files before revalidating (then a 304 via the ETag)."""


def widget_file(name: str, mimetype: str) -> Response:
    """One widget file with its content type, an ETag of its content and a short public cache lifetime."""
    body = (Path(current_app.root_path) / "static" / "widget" / name).read_bytes()
    response = Response(body, mimetype=mimetype)
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.make_conditional(request)  # 304 when the browser's copy has this ETag
    return response


@bp.get("/widget.js")
def script() -> Response:
    """The widget script: ``<script src=".../widget.js" defer></script>`` on any page."""
    return widget_file("widget.js", "text/javascript")


@bp.get("/widget.css")
def stylesheet() -> Response:
    """The widget's stylesheet (the script loads it into its shadow root)."""
    return widget_file("widget.css", "text/css")


@bp.get("/widget/demo")
def demo() -> str:
    """A plain company website that embeds the chat with one script tag."""
    return render_template("widget/demo.html", embed_url=url_for("widget.script", _external=True))
