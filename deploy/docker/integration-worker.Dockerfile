# syntax=docker/dockerfile:1
# The integration worker: consumes documents, hands proposed entries to accounting.
#   docker build -f deploy/docker/integration-worker.Dockerfile -t dte-integration-worker:local .
# Built from the repository root; integration-worker.Dockerfile.dockerignore keeps the context small.
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

# Editable installs, as in development: `python -m integration_worker migrate` finds alembic.ini and
# migrations/ beside the package source.
WORKDIR /app
COPY shared shared
COPY services/integration-worker services/integration-worker
RUN pip install --no-deps -e ./shared -e ./services/integration-worker \
    && python -m compileall -q /app \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app

USER 10001:10001
CMD ["python", "-m", "integration_worker", "run"]
