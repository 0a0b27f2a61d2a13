"""Fixtures for the articles staff API tests: an app (CSRF on) on a database of its own per
module, so the articles made here do not leak into other modules' searches."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from kb.articles import get_or_create_category
from kb.models import Role
from tests.web.article_api.helpers import Site
from tests.web.conftest import build_app
from tests.web.kbs import fresh_kb
from tests.web.staff_helpers import Staff, make_staff


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """An app (CSRF on) on a fresh database with two categories."""
    kb = fresh_kb(tmp_path_factory.mktemp("article-admin"), content=(), index=False)
    with kb.sessions() as session:
        get_or_create_category(session=session, slug="billing", name="Billing")
        get_or_create_category(session=session, slug="shipping", name="Shipping")
        session.commit()
    kb.rebuild()
    yield Site(kb, build_app(kb))
    kb.close()


@pytest.fixture
def client(site: Site) -> FlaskClient:
    """A test client."""
    return site.app.test_client()


@pytest.fixture
def editor(site: Site) -> Staff:
    """An editor with a token."""
    return make_staff(site.kb, Role.EDITOR)
