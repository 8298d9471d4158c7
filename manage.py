#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wink.settings")
    from django.core.management import execute_from_command_line

    from common.env import EnvError, exit_on_env_error

    try:
        execute_from_command_line(sys.argv)
    except EnvError as error:  # a bad setting: one line naming the variable, exit status 2, no traceback
        exit_on_env_error(error)


if __name__ == "__main__":
    main()
