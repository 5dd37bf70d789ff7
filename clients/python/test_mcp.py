"""The Python MCP SDK against the gateway (ContextForge) and GlitchTip's MCP
endpoint over Streamable HTTP in stateless JSON mode: initialize, ping, list
and call tools, a tool's own failure (isError) and the transport's refusals."""

import anyio
import httpx2
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client


async def with_session(url, token, body):
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as streams:
            read, write = streams[0], streams[1]
            async with ClientSession(read, write) as session:
                return await body(session)


def test_the_gateway_lists_and_calls_federated_tools(served):
    token = served["credentials"]["contextforge"]["token"]

    async def body(session):
        init = await session.initialize()  # 1 initialize
        assert init.server_info.name
        await session.send_ping()  # 2 ping
        tools = await session.list_tools()  # 3 tools/list
        names = [t.name for t in tools.tools]
        assert "yamon-searxnggrid-search-query" in names, names
        result = await session.call_tool("yamon-searxnggrid-search-query", {"query": "squad"})  # 4 tools/call
        assert not result.is_error and result.content[0].type == "text"
        return names

    anyio.run(with_session, f"{served['contextforge']}/mcp", token, body)


def test_glitchtip_mcp_tools(served):
    token = served["credentials"]["glitchtip"]["api_token"]

    async def body(session):
        await session.initialize()  # 5
        tools = await session.list_tools()  # 6
        names = {t.name for t in tools.tools}
        assert {"list_organizations", "list_projects", "list_issues", "get_issue"} <= names
        orgs = await session.call_tool("list_organizations", {})  # 7
        assert "yamon" in orgs.content[0].text
        failed = await session.call_tool("get_issue", {"issue_id": "999999"})  # 8 a tool's own failure
        assert failed.is_error

    anyio.run(with_session, f"{served['glitchtip']}/mcp", token, body)


def test_transport_refusals(served):
    url = f"{served['contextforge']}/mcp"
    assert httpx2.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"}).status_code == 401
    token = served["credentials"]["contextforge"]["token"]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
    assert httpx2.get(url, headers=headers).status_code == 405  # stateless: no GET stream
    r = httpx2.post(url, headers=headers, content=b"{not json")
    assert r.json()["error"]["code"] == -32700
    r = httpx2.post(url, headers={**headers, "MCP-Protocol-Version": "1999-01-01"},
                    json={"jsonrpc": "2.0", "id": 2, "method": "ping"})
    assert r.status_code == 400


def test_a_stateful_session_on_the_gateway(served_with_sessions):
    """`squadsim serve --mcp-sessions`: the SDK gets an Mcp-Session-Id on
    initialize, opens the GET stream, carries the id, and ends the session with
    DELETE on close; requests without the id or with an ended one are refused."""
    served = served_with_sessions
    url = f"{served['contextforge']}/mcp"
    token = served["credentials"]["contextforge"]["token"]
    seen = {}

    async def body(session):
        await session.initialize()
        await session.send_ping()
        tools = await session.list_tools()
        result = await session.call_tool("yamon-searxnggrid-search-query", {"query": "squad"})
        assert not result.is_error
        return [t.name for t in tools.tools]

    async def run():
        async def remember(request):
            sid = request.headers.get("mcp-session-id")
            if sid:
                seen.setdefault("ids", set()).add(sid)
            seen.setdefault("methods", []).append(request.method)

        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30,
                                      event_hooks={"request": [remember]}) as http:
            async with streamable_http_client(url, http_client=http) as streams:
                async with ClientSession(streams[0], streams[1]) as session:
                    return await body(session)

    names = anyio.run(run)
    assert "yamon-searxnggrid-search-query" in names
    assert len(seen["ids"]) == 1, seen  # one session, carried on every request after initialize
    assert "DELETE" in seen["methods"], seen  # closing ends it
    (session_id,) = seen["ids"]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
    ping = {"jsonrpc": "2.0", "id": 9, "method": "ping"}
    r = httpx2.post(url, headers=headers, json=ping)
    assert (r.status_code, r.json()["error"]["message"]) == (400, "Bad Request: Missing session ID")
    r = httpx2.post(url, headers={**headers, "Mcp-Session-Id": session_id}, json=ping)
    assert (r.status_code, r.json()["error"]["message"]) == (404, "Session not found")
