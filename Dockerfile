FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# Dependency layer: only uv.lock and pyproject.toml, so code changes reuse it. uv (pinned,
# from PyPI, the Makefile's UV_VERSION, gone after this step) writes the locked runtime set
# without the extras as a requirements file with hashes, failing if uv.lock is stale against
# pyproject.toml; pip installs exactly that set and refuses any file whose hash differs.
ARG UV_VERSION=0.13.9
COPY pyproject.toml uv.lock ./
RUN pip install --quiet --target /tmp/uv uv==${UV_VERSION} \
    && /tmp/uv/bin/uv export --locked --no-emit-project --no-python-downloads --no-cache \
        --quiet --output-file /tmp/requirements.txt \
    && pip install --quiet --require-hashes --requirement /tmp/requirements.txt \
    && rm -rf /tmp/uv /tmp/requirements.txt
COPY README.md ./
COPY gateway gateway
COPY schema schema
COPY resolvers resolvers
COPY sandbox sandbox
RUN pip install --no-deps . && useradd --system --uid 10001 gateway
USER gateway
ENV HOST=0.0.0.0 PORT=8000 GATEWAY_ENV=production WEB_CONCURRENCY=2
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
    CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=2)"
CMD ["promotions-gateway"]
