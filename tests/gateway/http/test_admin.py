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
    for body in (b"{", b"x" * 5000):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(settings)), base_url="http://gw"
        ) as http:
            bad = await http.post("/admin/cache/purge", content=body, headers=headers)
        assert bad.status_code == 400
        assert bad.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
