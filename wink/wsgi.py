import os
import sys

from django.core.wsgi import get_wsgi_application

from common.env import EnvError, exit_on_env_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wink.settings")
try:
    application = get_wsgi_application()
except EnvError as error:  # a bad setting: one line naming the variable, exit status 2, no traceback
    # In a gunicorn worker, status 3 (gunicorn's "worker failed to boot") stops the master instead of a respawn loop.
    exit_on_env_error(error, status=3 if "gunicorn" in sys.modules else 2)
