"""The aiohttp transport against raw loopback servers: answers, reuse, and failures
as the httpx exceptions the upstream client maps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import httpx
import pytest

from bench.processes import free_port
from gateway.upstream._transport import AiohttpTransport

LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=10)
# A request head -> the raw response (sent, then the connection closes if it says
# "Connection: close"; b"" sends nothing), or None to hang up without answering.
Answer = Callable[[bytes], bytes | None]


def ok(body: bytes) -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"X-Upstream: yes\r\n\r\n" + body


@asynccontextmanager
async def raw_server(answer: Answer) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A loopback server answering each request head with `answer`; yields its URL
    and, per accepted connection, the heads it read. Every connection is closed
    before the server goes."""
    connections: list[bytes] = []
    writers: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = len(connections)
        connections.append(b"")
        writers.append(writer)
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                connections[index] += head
                response = answer(head)
                if response is None:
                    break
                writer.write(response)
                await writer.drain()
                if b"Connection: close" in response:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", connections
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()
        for writer in writers:
            with suppress(ConnectionError):
                await writer.wait_closed()


async def test_an_answer_arrives_as_httpx_sees_it_and_the_connection_is_reused() -> None:
    async with (
        raw_server(lambda _head: ok(b'{"a": 1}')) as (url, connections),
        httpx.AsyncClient(transport=AiohttpTransport(LIMITS), base_url=url) as client,
    ):
        for _ in range(3):
            response = await client.get(
                "/v1/x", params={"q": "1 2"}, headers={"Authorization": "k"}
            )
            assert response.status_code == 200
            assert response.json() == {"a": 1}
            assert response.headers["x-upstream"] == "yes"
    assert len(connections) == 1  # kept alive and reused
    head = connections[0].split(b"\r\n\r\n")[0].decode()
    assert head.startswith("GET /v1/x?q=1+2 HTTP/1.1")
    assert "Authorization: k" in head.replace("authorization", "Authorization")


async def test_a_body_left_unread_closes_its_connection() -> None:
    async with (
        raw_server(lambda _head: ok(b"x" * 200_000)) as (url, connections),
        httpx.AsyncClient(transport=AiohttpTransport(LIMITS), base_url=url) as client,
    ):
        for _ in range(2):
            async with client.stream("GET", "/") as response:
                assert response.status_code == 200
                async for _chunk in response.aiter_bytes():
                    break  # the client's body cap stops reading like this
    assert len(connections) == 2  # the half-read connection was not handed out again


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            lambda _head: (
                b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{"cut'
            ),
            httpx.RemoteProtocolError,
        ),
        (lambda _head: b"this is not HTTP\r\n\r\n", httpx.RemoteProtocolError),
        (lambda _head: None, httpx.RemoteProtocolError),
    ],
    ids=["body cut short", "not HTTP", "hung up"],
)
async def test_broken_answers_are_httpx_protocol_errors(
    answer: Answer, expected: type[Exception]
) -> None:
    async with (
        raw_server(answer) as (url, _connections),
        httpx.AsyncClient(transport=AiohttpTransport(LIMITS), base_url=url) as client,
    ):
        with pytest.raises(expected):
            await client.get("/")  # reads the whole body


async def test_a_refused_connection_is_a_connect_error_not_a_timeout() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with httpx.AsyncClient(transport=AiohttpTransport(LIMITS), base_url=url) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("/")


async def test_a_silent_server_is_a_read_timeout() -> None:
    async with (
        raw_server(lambda _head: b"") as (url, _connections),
        httpx.AsyncClient(
            transport=AiohttpTransport(LIMITS), base_url=url, timeout=httpx.Timeout(0.2)
        ) as client,
    ):
        with pytest.raises(httpx.ReadTimeout):
            await client.get("/")


async def send(transport: AiohttpTransport, url: str) -> httpx.Response:
    response = await transport.handle_async_request(httpx.Request("GET", url))
    await response.aread()
    await response.aclose()
    return response


async def test_the_url_is_sent_as_httpx_encoded_it() -> None:
    async with raw_server(lambda _head: ok(b"{}")) as (url, connections):
        transport = AiohttpTransport(LIMITS)
        request = httpx.Request("GET", f"{url}/p/a%2Fb", params={"v": "a b&c=d/é"})
        response = await transport.handle_async_request(request)
        await response.aread()
        await transport.aclose()
    assert connections[0].startswith(b"GET /p/a%2Fb?v=a+b%26c%3Dd%2F%C3%A9 HTTP/1.1\r\n")


async def test_the_environments_proxy_is_used_and_no_proxy_honoured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with (
        raw_server(lambda _head: ok(b"{}")) as (proxy, via_proxy),
        raw_server(lambda _head: ok(b"{}")) as (upstream, direct),
    ):
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        transport = AiohttpTransport(LIMITS)
        for _ in range(2):
            await send(transport, "http://upstream.invalid/v1/x")
        await transport.aclose()
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        transport = AiohttpTransport(LIMITS)
        await send(transport, f"{upstream}/v1/y")
        await transport.aclose()
    heads = b"".join(via_proxy)
    assert heads.count(b"GET http://upstream.invalid/v1/x HTTP/1.1\r\n") == 2
    assert direct[0].startswith(b"GET /v1/y HTTP/1.1\r\n")


async def test_netrc_credentials_are_never_added(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login host-user password host-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    async with raw_server(lambda _head: ok(b"{}")) as (url, connections):
        transport = AiohttpTransport(LIMITS)
        await send(transport, f"{url}/v1/x")
        await transport.aclose()
    assert b"authorization" not in connections[0].lower()
