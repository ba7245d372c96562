# syntax=docker/dockerfile:1
# The accounting service: HTTP API (:8002), outbox relay and event consumer.
#   docker build -f deploy/docker/accounting.Dockerfile -t dte-accounting:local .
# Built from the repository root; accounting.Dockerfile.dockerignore keeps the context small.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

# The pinned third-party packages first: this layer is rebuilt only when the lock changes.
# Test and lint tools are left out of the image.
COPY requirements.lock /tmp/requirements.lock
RUN python -m venv /opt/venv \
    && grep -vE '^(ruff|pytest|pytest-asyncio|hypothesis|testcontainers|docker)==' \
        /tmp/requirements.lock > /tmp/runtime.lock \
    && pip install -r /tmp/runtime.lock \
    && rm /tmp/requirements.lock /tmp/runtime.lock

# Editable installs, as in development: `python -m accounting migrate` finds alembic.ini and
# migrations/ beside the package source.
WORKDIR /app
COPY shared shared
COPY services/accounting services/accounting
RUN pip install --no-deps -e ./shared -e ./services/accounting \
    && python -m compileall -q /app \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app

USER 10001:10001
EXPOSE 8002
CMD ["python", "-m", "accounting", "serve", "--host", "0.0.0.0", "--port", "8002"]
