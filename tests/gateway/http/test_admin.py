import httpx

from gateway.app import create_app
from tests.conftest import SandboxAdmin, gateway_for, settings_for


async def test_without_an_admin_token_there_is_no_purge_route(sandbox: SandboxAdmin) -> None:
    async with gateway_for(settings_for(sandbox.url)) as gateway:
        response = await gateway.http.post("/admin/cache/purge", json={"all": True})
    assert response.status_code == 404


async def test_a_purge_in_one_process_drops_its_entries_and_counts_them(
    sandbox: SandboxAdmin,
) -> None:
    settings = settings_for(sandbox.url, admin_token="the-admin-token-of-this-test")
    async with gateway_for(settings) as gateway:
        query = '{ promotion(programId: "469", id: "57099") { id } }'
        assert "errors" not in await gateway.query(query)
        headers = {"Authorization": "Bearer the-admin-token-of-this-test"}
        response = await gateway.http.post(
            "/admin/cache/purge", json={"programId": "469"}, headers=headers
        )
        assert response.status_code == 200
        assert response.json()["purged"] == {"local": 1, "shared": None}
        assert "errors" not in await gateway.query(query)
    assert sandbox.calls("promotion") == 2
    for body, status, code in ((b"{", 400, "BAD_REQUEST"), (b"x" * 5000, 413, "PAYLOAD_TOO_LARGE")):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(settings)), base_url="http://gw"
        ) as http:
            bad = await http.post("/admin/cache/purge", content=body, headers=headers)
        assert bad.status_code == status
        assert bad.json()["errors"][0]["extensions"]["code"] == code
        assert bad.headers["cache-control"] == "private, no-store"


async def test_the_purge_route_refuses_other_methods_in_the_one_refusal_shape(
    sandbox: SandboxAdmin,
) -> None:
    settings = settings_for(sandbox.url, admin_token="the-admin-token-of-this-test")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings)), base_url="http://gw"
    ) as http:
        for method in ("GET", "PUT", "DELETE"):
            refused = await http.request(method, "/admin/cache/purge")
            assert refused.status_code == 405
            assert refused.headers["allow"] == "POST"
            assert refused.headers["content-type"].startswith("application/json")
            error = refused.json()["errors"][0]
            assert error["extensions"]["code"] == "METHOD_NOT_ALLOWED"
            assert method in error["message"]
        unauthorized = await http.post("/admin/cache/purge", json={"all": True})
    assert unauthorized.status_code == 401
    assert unauthorized.headers["www-authenticate"] == "Bearer"
    assert unauthorized.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
