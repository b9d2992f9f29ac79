"""`mnemo serve --local`: one local user without a key; a key still identifies its own user."""

import dataclasses

from memory.users import Principal
from server.app import create_app
from tests.conftest import asgi_client, key_headers


async def test_local_mode_lets_the_local_user_in_without_a_key(runtime, settings, resources, tenant):
    local_runtime = dataclasses.replace(runtime, local_principal=Principal(tenant, "local"), owns_resources=False)
    app = create_app(settings, runtime=local_runtime)
    async with asgi_client(app) as http:
        r = await http.post("/v1/chat", json={"message": "I live in Porto."})
        assert r.status_code == 200
        assert [m["value"] for m in (await http.get("/v1/memories")).json()["items"]] == ["Porto"]
        other = await key_headers(resources, tenant, "bob")
        assert (await http.get("/v1/memories", headers=other)).json()["items"] == []
        assert (await http.get("/v1/memories", headers={"Authorization": "Bearer nope"})).status_code == 401
