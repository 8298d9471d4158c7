"""`manage.py issue_admin_token USERNAME [--days N] [--rotate]`: create the user if needed and print a new API token.

The token is printed once: the database keeps only its digest, its first characters and its expiry (knox), so it
cannot be shown again. Lost it? Issue another (and `--rotate` to revoke the old ones); revoke in the admin under
"Knox › Auth tokens".
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken

from cameras.models import Organization


class Command(BaseCommand):
    help = ("Create USERNAME if needed (staff) and print a new token for `Authorization: Bearer <token>`; "
            "it is shown only this once.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--org", help="Organisation slug: make a non-staff member of it instead of staff")
        parser.add_argument("--rotate", action="store_true", help="Revoke the user's existing tokens first")
        parser.add_argument("--days", type=int, default=None,
                            help="Lifetime in days (default: the API_TOKEN_TTL_DAYS setting, 90 unless set)")

    def handle(self, *args, username: str, org: str | None, rotate: bool, days: int | None, **options):
        days = settings.API_TOKEN_TTL_DAYS if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1")
        organization = None
        if org:
            organization = Organization.objects.filter(slug=org).first()
            if organization is None:
                raise CommandError(f"--org: no organisation with slug {org!r}")
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
        if organization is not None:
            organization.members.add(user)
        else:
            user.is_staff = True
        user.save()
        if rotate:
            AuthToken.objects.filter(user=user).delete()
        instance, token = AuthToken.objects.create(user=user, expiry=timedelta(days=days))
        self.stderr.write(f"token {instance.token_key}… for {username}, expires {instance.expiry:%Y-%m-%d %H:%M} UTC; "
                          "shown only now")
        self.stdout.write(token)
