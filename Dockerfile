# ReflexClinic's container image. It runs the production command lines in bin/ and nothing
# else: `bin/web` by default, `bin/worker`, `bin/beat` or `bin/migrate` as its command
# (compose.yaml). Static files are collected when the image is built.
FROM python:3.11-slim-bookworm

# pg_dump and pg_restore for bin/backup and bin/restore (PostgreSQL 15's, like the server).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BIND=0.0.0.0:8000 \
    VAR_DIR=/app/var

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# Static files belong to the image (root-owned, read-only); var/ is the app's scratch space
# (beat's schedule file, clinic data exports), writable by the unprivileged user the processes run as.
RUN bin/build \
    && mkdir -p /app/var/exports \
    && useradd --system --no-create-home --home-dir /app reflexclinic \
    && chown reflexclinic /app/var /app/var/exports
USER reflexclinic
EXPOSE 8000
CMD ["bin/web"]
