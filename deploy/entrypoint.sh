#!/bin/sh
# One image, one process per container: web | worker | migrate | flask ARGS... | any command.
set -eu
cd /app
case "${1:-web}" in
  web)
    shift || true
    python3 /app/deploy/wait_for_services.py
    exec gunicorn --config /app/gunicorn.conf.py wsgi:app "$@" ;;
  worker)
    shift
    python3 /app/deploy/wait_for_services.py
    # Threads share one process: the job runner's soft time limit plus PostgreSQL's statement_timeout.
    exec huey_consumer richwell.worker.huey -w "${WORKER_THREADS:-2}" -k thread -f "$@" ;;
  migrate)
    shift
    python3 /app/deploy/wait_for_services.py
    exec flask db upgrade "$@" ;;
  flask)
    shift
    exec flask "$@" ;;
  *)
    exec "$@" ;;
esac
