"""`manage.py issue_admin_token USERNAME`: create the user if needed and print an API token."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from cameras.models import Organization


class Command(BaseCommand):
    help = "Create USERNAME if needed (staff) and print a token for `Authorization: Bearer <token>`."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--org", help="Organisation slug: make a non-staff member of it instead of staff")
        parser.add_argument("--rotate", action="store_true", help="Replace an existing token with a new one")

    def handle(self, *args, username: str, org: str | None, rotate: bool, **options):
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()
        if org:
            organization = Organization.objects.filter(slug=org).first()
            if organization is None:
                from django.core.management.base import CommandError

                raise CommandError(f"--org: no organisation with slug {org!r}")
            organization.members.add(user)
        else:
            user.is_staff = True
        user.save()
        if rotate:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
