"""The promotions gateway: GraphQL over the vendor's loyalty REST API.

`gateway.app.create_app(settings, transport=None)` builds the ASGI app;
`gateway.settings.Settings` holds its configuration. This package itself
exports nothing, so that importing one part (the settings, the CLI) does not
load the app. The parts, in the order a request meets them:

- `gateway.runtime`: the process (CLI, uvicorn server, worker start-up, heap).
- `gateway.app`: composes everything below into one Starlette app.
- `gateway.http`: the ASGI edge (GraphQL view, front door, limits, request log,
  health, IDE).
- `gateway.operations`: what happens to a GraphQL operation before and around
  execution (documents, limits, cost, error codes, the per-operation report).
- `schema` and `resolvers` (top-level packages): the contract's types, thin resolvers.
- `gateway.loaders`: per request, batch and de-duplicate lookups.
- `gateway.cache`: the process's caches of upstream results.
- `gateway.upstream`: the one client of the vendor's API; raw JSON -> typed records.
- `gateway.observability`: metrics, tracing, logs, the request's record.

Shared by every layer: `errors`, `settings`, `credentials`, `deadline`,
`jsonio`, `token_bucket`. Imports only go down (import-linter, `make check`).
"""
