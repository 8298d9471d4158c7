"""`manage.py grafana_reader`: create/refresh the read-only PostgreSQL role Grafana's business dashboards use.

Grants SELECT on the aggregate and store tables only — never on users, tokens, edge keys or sessions.
Password from GRAFANA_DB_PASSWORD (nothing to do when it is empty). Idempotent; docker-compose's `migrate`
service runs it after every migration. Needs a role allowed to CREATE ROLE (the postgres image's user is).
"""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

ROLE = "grafana_reader"
READABLE_MODELS = (
    "cameras.Store", "cameras.Camera", "zones.Zone",
    "analytics.HourlyMetric", "analytics.DailyMetric", "analytics.SpikeAlert", "analytics.Promotion",
)


class Command(BaseCommand):
    help = "Create or update the read-only role `grafana_reader` (password: GRAFANA_DB_PASSWORD)."

    def handle(self, *args, **options):
        password = os.environ.get("GRAFANA_DB_PASSWORD", "")
        if not password:
            self.stdout.write("GRAFANA_DB_PASSWORD is empty: no Grafana database role")
            return
        if connection.vendor != "postgresql":
            self.stdout.write("not PostgreSQL: no Grafana database role")
            return
        from django.apps import apps

        tables = [apps.get_model(label)._meta.db_table for label in READABLE_MODELS]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [ROLE])
            verb = "ALTER" if cursor.fetchone() else "CREATE"
            try:
                # Role passwords cannot be bound parameters: quote as a literal with PostgreSQL's own function.
                cursor.execute("SELECT quote_literal(%s)", [password])
                literal = cursor.fetchone()[0]
                cursor.execute(f"{verb} ROLE {ROLE} LOGIN PASSWORD {literal}")
            except Exception as error:
                raise CommandError(f"cannot {verb.lower()} role {ROLE}: {error}") from None
            cursor.execute(f"GRANT CONNECT ON DATABASE {quote(connection.settings_dict['NAME'])} TO {ROLE}")
            cursor.execute(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
            cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {ROLE}")
            for table in tables:
                cursor.execute(f"GRANT SELECT ON {quote(table)} TO {ROLE}")
        self.stdout.write(self.style.SUCCESS(f"{ROLE}: SELECT on {', '.join(tables)}"))
