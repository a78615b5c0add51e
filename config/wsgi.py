import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

application = get_wsgi_application()

# What is loaded now lives as long as the process: Django, every app's modules and, by
# reading the URL patterns, every view. gc.freeze() takes those objects out of the
# cyclic collector's reach, so an oldest-generation collection scans only what requests
# left behind instead of pausing a request for the whole heap. Those pauses fall on a few
# unlucky requests, so they show in the API's tail latency (p99), not its median.
# (With gunicorn --preload it also keeps the frozen pages shared after fork.)
get_resolver().url_patterns  # noqa: B018 - reading them imports every URL module and view
gc.collect()
gc.freeze()
