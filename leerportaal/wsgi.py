import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leerportaal.settings")
application = get_wsgi_application()

# Import every URLconf and view now, not in the first request: that request would hold the
# import lock for ~0.2 s of CPU while the other threads of its process wait. With gunicorn's
# preload_app (gunicorn.conf.py) this runs once, before the workers are forked. No database or
# Redis connection is opened here: a connection must never be shared by forked processes.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018 — loading them is the point
