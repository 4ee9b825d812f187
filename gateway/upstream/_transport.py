"""The network under the upstream client: httpx requests sent through aiohttp's pool.

httpcore's connection pool walks every pooled connection, polling each idle
socket, for every request it assigns (encode/httpcore#1035, still open; fixed
only in the pydantic/httpx2 fork, #974 and #1075). With the 50 connections one
customer's by-id calls keep alive, the next burst of 50 calls cost about 300 ms
of CPU here, against 20 ms through aiohttp's connector (bench/README.md). The
httpx client above stays as it was: paths, params, deadlines, error mapping.

Every aiohttp failure becomes the httpx exception of the same meaning, so
`gateway.upstream._client` maps it exactly as before: a refused connection is a
ConnectError (not a timeout), a body cut short is a RemoteProtocolError.
(httpx-aiohttp does the same job, but maps every ClientConnectionError to
ConnectTimeout and lets unmapped aiohttp errors through.)

Proxies come from the environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY), as
httpx's own transport reads them, decided once per origin. aiohttp's
`trust_env` would decide again on every request, in a worker thread, and also
read ~/.netrc there for any request without `auth=`, which would add the
host's own credentials to a call its client sent without any.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import aiohttp
import httpx
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL

CHUNK_BYTES = 64 * 1024

# Most specific first: the first match decides.
_MAPPED: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),  # not HTTP at all
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.ClientOSError, httpx.ReadError),
    (aiohttp.ClientError, httpx.TransportError),
    (TimeoutError, httpx.PoolTimeout),  # aiohttp's wait for a free connection
)


@contextmanager
def _as_httpx_errors() -> Iterator[None]:
    try:
        yield
    except (aiohttp.ClientError, TimeoutError) as error:
        for raised, meaning in _MAPPED:
            if isinstance(error, raised):
                raise meaning(str(error) or type(error).__name__) from error
        raise  # pragma: no cover - ClientError is the last aiohttp entry


class AiohttpTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over aiohttp, bounded by `limits`. The session is made on first use,
    inside the running event loop, and closed with the transport."""

    def __init__(self, limits: httpx.Limits, ssl_context: ssl.SSLContext | None = None) -> None:
        self._limits = limits
        self._ssl_context = ssl_context
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str | None, int | None], _Proxy] = {}

    def _open_session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._limits.max_connections or 0,
            limit_per_host=0,
            keepalive_timeout=self._limits.keepalive_expiry or 5.0,
            ssl=self._ssl_context or httpx.create_ssl_context(),
        )
        return aiohttp.ClientSession(
            connector=connector,
            # httpx decodes the body itself, follows no redirects and keeps no cookies.
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=("User-Agent", "Accept-Encoding"),
            trust_env=False,
        )

    def _proxy(self, url: URL) -> _Proxy:
        """The environment's proxy for the URL's origin, looked up once."""
        origin = (url.scheme, url.host, url.port)
        found = self._proxies.get(origin)
        if found is None:
            try:
                found = get_env_proxy_for_url(url)
            except LookupError:
                found = (None, None)
            self._proxies[origin] = found
        return found

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._session is None:
            self._session = self._open_session()
        timeout = request.extensions.get("timeout", {})
        body = await request.aread()
        url = URL(str(request.url), encoded=True)  # httpx has encoded it already
        proxy, proxy_auth = self._proxy(url)
        with _as_httpx_errors():
            response = await self._session.request(
                request.method,
                url,
                proxy=proxy,
                proxy_auth=proxy_auth,
                headers=list(request.headers.multi_items()),
                data=body or None,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(
                    connect=timeout.get("pool"),
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                ),
            )
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_Body(response),
            request=request,
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (response.reason or "").encode("ascii", "replace"),
            },
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


_Proxy = tuple[URL | None, aiohttp.BasicAuth | None]


class _Body(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors():
            async for chunk in self._response.content.iter_chunked(CHUNK_BYTES):
                yield chunk

    async def aclose(self) -> None:
        # Back to the pool when the body was read to its end; closed otherwise.
        self._response.release()
