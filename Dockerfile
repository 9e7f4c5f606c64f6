# syntax=docker/dockerfile:1
# One image for every process of the portal: web (gunicorn), worker (huey_consumer),
# migrate (one-shot `flask db upgrade`) and the flask CLI. A second target, `proxy`,
# is Caddy with the static files baked in (see docs/DEPLOY.md for why Caddy).

# --- build: a virtualenv with every dependency, made where pip and its caches may live ---
FROM debian:bookworm-slim AS build
# Only for machines whose TLS is intercepted: a CA bundle mounted at build time (never copied in).
ARG PIP_CERT=""
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
COPY setup.cfg pyproject.toml README.md /src/
COPY richwell /src/richwell
RUN if [ -z "$PIP_CERT" ]; then unset PIP_CERT; fi \
 && python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/venv/bin/pip install --no-cache-dir /src \
 && /opt/venv/bin/pip uninstall -y richwell-portal pip

# --- runtime: Python, the PostgreSQL client for backups, the venv and the source; no compilers ---
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 richwell \
 && useradd --system --uid 10001 --gid richwell --home-dir /app --shell /usr/sbin/nologin richwell \
 && mkdir -p /data/uploads /data/receipts /data/backups /app/instance /tmp/prometheus \
 && chown -R richwell:richwell /data /app /tmp/prometheus
COPY --from=build /opt/venv /opt/venv
COPY --chown=root:root . /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FLASK_APP=richwell \
    RICHWELL_ENV=production \
    UPLOAD_FOLDER=/data/uploads \
    RECEIPT_FOLDER=/data/receipts \
    BACKUP_FOLDER=/data/backups \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus \
    WEB_BIND=0.0.0.0:8000
WORKDIR /app
USER 10001:10001
EXPOSE 8000
# /healthz touches nothing: the process answers. Readiness (/readyz) is for the proxy and operators.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python3", "/app/deploy/healthcheck.py"]
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["web"]

# --- proxy: Caddy (TLS, compression, static files with long cache lifetimes, body limit) ---
FROM debian:bookworm-slim AS proxy
RUN apt-get update \
 && apt-get install -y --no-install-recommends caddy \
 && rm -rf /var/lib/apt/lists/* \
 && groupmod --gid 10002 caddy && usermod --uid 10002 --gid 10002 caddy \
 && mkdir -p /data/caddy /config/caddy \
 && chown -R caddy:caddy /data/caddy /config/caddy
COPY static /srv/static
COPY deploy/Caddyfile /etc/caddy/Caddyfile
ENV XDG_DATA_HOME=/data XDG_CONFIG_HOME=/config
USER 10002:10002
EXPOSE 8080 8443
ENTRYPOINT ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
