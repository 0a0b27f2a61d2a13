"""The staff JSON API: customers (staff token), so the company's systems can push plan and order data."""

from __future__ import annotations

from typing import Any

from flask import url_for
from pydantic import BaseModel, Field, field_validator
from spectree import Response as Responses

from kb import customers
from kb.chat import MAX_EXTERNAL_ID, MAX_NAME, MAX_PLAN
from kb.community import MAX_EMAIL
from kb.customers import MAX_ATTRIBUTE_KEY, MAX_ATTRIBUTE_VALUE, MAX_ATTRIBUTES, CustomerError
from kb.models import Customer
from web.api import bp
from web.api.errors import InvalidInput, error_json
from web.api.schemas import ErrorResponse, Input, Timestamp
from web.api.spec import STAFF_TOKEN, api_spec
from web.db import db_session
from web.roles import AGENTS, api_staff
from web.security import csrf, settings

AttributeValue = str | int | float | bool | None
EXTERNAL_ID = {
    "external_id": f"The customer's id in your own systems (1 to {MAX_EXTERNAL_ID} characters)."
}
TAGS = ["customers"]
STAFF_ERRORS: dict[str, Any] = {"HTTP_401": ErrorResponse, "HTTP_403": ErrorResponse}


class CustomerIn(Input):
    """A customer record to create or update; fields left out (or null) keep their stored values."""

    email: str | None = Field(None, max_length=MAX_EMAIL, description="Email address.")
    name: str | None = Field(None, max_length=MAX_NAME, description="Full name.")
    plan: str | None = Field(
        None,
        max_length=MAX_PLAN,
        description="Plan key, one of the service plans (see /help/service-levels).",
    )
    attributes: dict[str, AttributeValue] | None = Field(
        None,
        description=(
            f"Free attributes agents see next to the conversation (order data and the like): "
            f"at most {MAX_ATTRIBUTES} names of up to {MAX_ATTRIBUTE_KEY} characters, values "
            f"text (up to {MAX_ATTRIBUTE_VALUE} characters), numbers, true/false or null. "
            "Replaces the stored attributes."
        ),
        json_schema_extra={"maxProperties": MAX_ATTRIBUTES},
    )

    @field_validator("attributes", mode="before")
    @classmethod
    def _scalar_attributes(cls, value: Any) -> Any:
        """Refuse nested values and too many or too long attributes, naming the culprit."""
        if value is None:
            return value
        if not isinstance(value, dict):
            raise ValueError("'attributes' must be a JSON object, like {\"orders\": 3}.")
        problem = customers.attribute_problem(value)
        if problem:
            raise ValueError(f"'attributes': {problem}")
        return value


class CustomerOut(BaseModel):
    """A customer record."""

    external_id: str
    email: str | None
    name: str
    plan: str
    attributes: dict[str, AttributeValue]
    created_at: Timestamp
    updated_at: Timestamp


@bp.put("/customers/<path:external_id>")
@api_staff(*AGENTS)
@api_spec.validate(
    json=CustomerIn,
    resp=Responses(
        HTTP_200=CustomerOut, HTTP_201=CustomerOut, HTTP_400=ErrorResponse, **STAFF_ERRORS
    ),
    tags=TAGS,
    operation_id="putCustomer",
    security=STAFF_TOKEN,
    path_parameter_descriptions=EXTERNAL_ID,
)
def put_customer(
    external_id: str, json: CustomerIn
) -> tuple[CustomerOut, int] | tuple[CustomerOut, int, dict[str, str]]:
    """Create (201) or update (200) the customer with this external id.

    Fields you leave out keep their stored values; ``attributes``, when sent, replace the stored
    ones. An unknown plan, a malformed email or a field that is too long is a 400 naming it.
    """
    session = db_session()
    plans = [plan.key for plan in settings().service_plans]
    try:
        customer, created = customers.put_customer(
            session=session,
            external_id=external_id,
            email=json.email,
            name=json.name,
            plan=json.plan,
            attributes=json.attributes,
            plans=plans,
        )
    except CustomerError as error:
        raise InvalidInput(str(error), error.fields) from None
    session.commit()
    if not created:
        return _out(customer), 200
    location = url_for("api.get_customer", external_id=customer.external_id, _external=True)
    return _out(customer), 201, {"Location": location}


csrf.exempt(put_customer)  # token-authenticated: no cookies, so no CSRF token either


@bp.get("/customers/<path:external_id>")
@api_staff(*AGENTS)
@api_spec.validate(
    resp=Responses(HTTP_200=CustomerOut, HTTP_404=ErrorResponse, **STAFF_ERRORS),
    tags=TAGS,
    operation_id="getCustomer",
    security=STAFF_TOKEN,
    path_parameter_descriptions=EXTERNAL_ID,
)
def get_customer(external_id: str) -> Any:
    """Read the customer with this external id."""
    customer = customers.get_customer(session=db_session(), external_id=external_id)
    if customer is None:
        return error_json(404, f"There is no customer with the external id {external_id!r}.")
    return _out(customer)


def _out(customer: Customer) -> CustomerOut:
    """A customer as the API shows it."""
    return CustomerOut(
        external_id=customer.external_id,
        email=customer.email,
        name=customer.name,
        plan=customer.plan,
        attributes=customer.attributes,
        created_at=customer.created_at,
        updated_at=customer.updated_at,
    )
