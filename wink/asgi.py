import os

from django.core.asgi import get_asgi_application

from common.env import EnvError, exit_on_env_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wink.settings")
try:
    application = get_asgi_application()
except EnvError as error:  # a bad setting: one line naming the variable, exit status 2, no traceback
    exit_on_env_error(error)
