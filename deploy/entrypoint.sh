#!/bin/sh
# One image, one process per container: web | worker | migrate | flask ARGS... | any command.
set -eu
cd /app
case "${1:-web}" in
  web)
    shift || true
    exec gunicorn --config /app/gunicorn.conf.py wsgi:app "$@" ;;
  worker)
    shift
    # Threads share one process: the job runner's soft time limit plus PostgreSQL's statement_timeout.
    exec huey_consumer richwell.worker.huey -w "${WORKER_THREADS:-2}" -k thread "$@" ;;
  migrate)
    shift
    exec flask db upgrade "$@" ;;
  flask)
    shift
    exec flask "$@" ;;
  *)
    exec "$@" ;;
esac
