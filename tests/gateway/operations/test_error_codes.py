from graphql import GraphQLError

from gateway.errors import CustomerNotFound
from gateway.operations._error_codes import INTERNAL_MESSAGE, coded


def test_an_unexpected_exception_is_masked_as_internal() -> None:
    error = GraphQLError(
        "KeyError: secret upstream detail", path=["customer"], original_error=KeyError("x")
    )
    result = coded(error, "execute")
    assert result.message == INTERNAL_MESSAGE
    assert result.extensions == {"code": "INTERNAL"}


def test_a_gateway_error_keeps_its_code_and_upstream_code() -> None:
    original = CustomerNotFound("Customer not found.", upstream_code=8015)
    result = coded(GraphQLError("x", path=["customer"], original_error=original), "execute")
    assert result.extensions == {"code": "CUSTOMER_NOT_FOUND", "upstreamCode": 8015}
