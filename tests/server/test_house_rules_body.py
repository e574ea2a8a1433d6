"""``PUT /api/family/children/{id}/rules``: a typed body whose bounds are ``sync.rules.LIMITS``.

A field's own range is the schema's (422 ``INVALID_ARGS``, as documented); a conversion rate above
one, which depends on the rate stored, is 409 ``CONVERSION_ABOVE_PAR``, named on the operation.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.testing import TestClient

from sync.rules import LIMITS, HouseRules
from tests.helpers import Family


def _put(client: TestClient[Any], home: Family, body: Any) -> Any:
    child_id = home.child("지우").user_id
    return client.put(f"/api/family/children/{child_id}/rules", json=body, headers=home.elevated(client))


def test_each_field_is_typed_and_bounded_and_unknown_fields_are_refused(client: TestClient[Any]) -> None:
    home = Family.create(client, ("지우",))
    for body in (
        {"fee_bps": LIMITS["fee_bps"][1] + 1},
        {"fee_bps": -1},
        {"trades_per_day": 0},
        {"fee_bps": "15"},
        {"limit_orders": 1},
        {"markets": ["KRX", "KRX"]},
        {"markets": ["NASDAQ"]},
        {"fill_policy": "whenever"},
        {"colour": "blue"},
    ):
        answer = _put(client, home, body)
        assert (answer.status_code, answer.json()["code"]) == (422, "INVALID_ARGS"), (body, answer.text)
    answer = _put(client, home, {"fee_bps": LIMITS["fee_bps"][1], "markets": ["US"], "limit_orders": True})
    assert answer.status_code == 200, answer.text
    assert answer.json()["detail"] == {"changed": ["fee_bps", "limit_orders", "markets"]}


def test_a_conversion_above_par_against_the_stored_rate_is_a_conflict(client: TestClient[Any]) -> None:
    home = Family.create(client, ("지우",))  # classic: 1 real won per 10 game won
    refused = _put(client, home, {"conversion_num": 11})
    assert (refused.status_code, refused.json()["code"]) == (409, "CONVERSION_ABOVE_PAR"), refused.text
    both = _put(client, home, {"conversion_num": 3, "conversion_den": 2})
    assert (both.status_code, both.json()["code"]) == (409, "CONVERSION_ABOVE_PAR"), both.text
    assert _put(client, home, {"conversion_den": 20}).status_code == 200
    assert _put(client, home, {"conversion_num": 11}).status_code == 200  # 11/20 against the new rate


def test_the_document_states_the_limits_validate_enforces(client: TestClient[Any]) -> None:
    document = client.get("/schema/openapi.json").json()
    operation = document["paths"]["/api/family/children/{child_id}/rules"]["put"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    schema = document["components"]["schemas"][body]
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {f.name for f in msgspec.structs.fields(HouseRules)}
    stated = {
        name: (prop.get("minimum"), prop.get("maximum"))
        for name, prop in schema["properties"].items()
        if name in LIMITS
    }
    assert stated == LIMITS
    assert schema["properties"]["markets"]["uniqueItems"] is True
    assert "CONVERSION_ABOVE_PAR" in operation["responses"]["409"]["description"]
