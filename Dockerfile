FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# Dependency layer: only pyproject.toml, so code changes reuse it.
COPY pyproject.toml README.md ./
RUN mkdir gateway schema resolvers sandbox && touch gateway/__init__.py schema/__init__.py \
    resolvers/__init__.py sandbox/__init__.py && pip install . && pip uninstall -y promotions-gateway
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
