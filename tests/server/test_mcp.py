"""Mnemo's memory as MCP tools, driven by the official `mcp` SDK's client: over streamable HTTP at /mcp on a
real server, and over stdio by launching `mnemo mcp`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from tests.conftest import make_key

MNEMO = str(Path(sys.executable).with_name("mnemo"))
TOOLS = {"memory_context", "search_memory", "list_memories", "add_memory", "correct_memory", "forget_memory"}


def _http(live_url: str, key: str | None) -> Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client(streamable_http_client(f"{live_url}/mcp", http_client=create_mcp_http_client(headers=headers)))


def _data(result):
    assert not result.is_error, result.content
    if result.structured_content is not None:
        content = result.structured_content
        return content.get("result", content) if isinstance(content, dict) and set(content) == {"result"} else content
    return json.loads(result.content[0].text) if result.content[0].text[:1] in "[{" else result.content[0].text


async def test_http_tools_read_and_write_the_callers_memory(live_url, resources, tenant, client):
    key = await make_key(resources, tenant, "ide-agent")
    async with _http(live_url, key) as mcp:
        assert {t.name for t in (await mcp.list_tools()).tools} == TOOLS
        added = _data(await mcp.call_tool("add_memory", {"category": "preference", "key": "preference.editor",
                                                          "value": "Helix"}))
        assert added["value"] == "Helix"
        context = _data(await mcp.call_tool("memory_context", {}))
        assert "Helix" in context
        hits = _data(await mcp.call_tool("search_memory", {"query": "which text editor do I use?"}))
        assert hits[0]["id"] == added["id"]
        fixed = _data(await mcp.call_tool("correct_memory", {"memory_id": added["id"], "value": "Neovim",
                                                              "reason": "switched"}))
        assert fixed["value"] == "Neovim"
        listed = _data(await mcp.call_tool("list_memories", {"category": "preference"}))
        assert [m["value"] for m in listed] == ["Neovim"]
        _data(await mcp.call_tool("forget_memory", {"memory_id": fixed["id"]}))
        assert _data(await mcp.call_tool("list_memories", {})) == []
        refused = await mcp.call_tool("add_memory", {"category": "preference", "key": "Not A Key", "value": "x"})
        assert refused.is_error and "422" in refused.content[0].text

    # the chat sees what the tools wrote: the same user through the REST API
    r = await client.get("/v1/memories", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200 and r.json()["items"] == []


async def test_http_needs_a_key_and_keeps_users_apart(live_url, resources, tenant):
    alice, bob = await make_key(resources, tenant, "alice"), await make_key(resources, tenant, "bob")
    async with _http(live_url, alice) as mcp:
        _data(await mcp.call_tool("add_memory", {"category": "constraint", "key": "constraint.allergy",
                                                  "value": "shellfish"}))
    async with _http(live_url, bob) as mcp:
        assert "shellfish" not in _data(await mcp.call_tool("memory_context", {}))
        assert _data(await mcp.call_tool("search_memory", {"query": "shellfish allergy"})) == []
    with pytest.raises(ExceptionGroup):  # the SDK reports the 401 as an error of its task group
        async with _http(live_url, None) as mcp:
            await mcp.list_tools()
    async with httpx.AsyncClient(base_url=live_url) as http:
        for headers in ({}, {"X-Api-Key": "mnemo_wrong"}):
            r = await http.post("/mcp", headers=headers, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
            assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


async def test_stdio_server_started_by_the_client(resources, tenant):
    key = await make_key(resources, tenant, "desktop")
    params = StdioServerParameters(command=MNEMO, args=["mcp"], env={**os.environ, "MNEMO_API_KEY": key})
    async with Client(params, read_timeout_seconds=120) as mcp:
        assert {t.name for t in (await mcp.list_tools()).tools} == TOOLS
        _data(await mcp.call_tool("add_memory", {"category": "profile", "key": "profile.location",
                                                  "value": "Trondheim"}))
        assert "Trondheim" in _data(await mcp.call_tool("memory_context", {}))


def test_stdio_without_a_key_says_what_to_do():
    env = {k: v for k, v in os.environ.items() if k not in ("MNEMO_API_KEY", "MNEMO_LOCAL_MODE")}
    done = subprocess.run([MNEMO, "mcp"], env=env, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode != 0 and done.stdout == ""  # nothing but MCP ever reaches stdout
    assert "needs an API key" in done.stderr and "mnemo keys create" in done.stderr
