"""Production entry point: `gunicorn wsgi:app`."""
from richwell import create_app

app = create_app()
