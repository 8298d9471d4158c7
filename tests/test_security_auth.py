"""Security findings 7 and 8: API tokens are stored hashed with an expiry, and password sign-in locks out guessers.

Tokens: knox keeps a SHA-512 digest plus the first characters; `issue_admin_token` prints the token once.
Lockout: django-axes locks a (username, client IP) pair after LOGIN_FAILURE_LIMIT wrong passwords for
LOGIN_LOCKOUT_MINUTES, on the dashboard sign-in and the admin sign-in alike; an administrator unlocks by deleting the
access attempt in the admin or with `manage.py axes_reset_username`.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from cameras.authentication import client_ip_address
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password
LOCKOUT_MESSAGE = "Too many failed sign-in attempts; try again in 15 minutes or ask an administrator to unlock"


def _issue(*args: str) -> str:
    out = io.StringIO()
    call_command("issue_admin_token", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def _token_table_text() -> str:
    """Every column of every row of the token table, as text."""
    table = AuthToken._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        return "\n".join(" ".join(str(value) for value in row) for row in cursor.fetchall())


def _api_get(token: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get("/api/cameras")


# --- Finding 7: API tokens ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_issued_token_works_but_is_stored_only_as_a_digest():
    token = _issue("sec-ops")
    assert token.startswith("wink_api_") and len(token) == len("wink_api_") + 64
    assert _api_get(token).status_code == 200
    stored = _token_table_text()
    assert stored  # the row is there…
    assert token not in stored  # …but the token is not, in any column
    assert token[15:] not in stored  # not even the part after the listed prefix
    row = AuthToken.objects.get()
    assert row.token_key == token[:15] and row.digest != token


@pytest.mark.django_db
def test_token_is_shown_once_and_cannot_be_retrieved_afterwards(client):
    token = _issue("sec-ops")
    # The command cannot print the same token again: a second run issues a new one.
    again = _issue("sec-ops")
    assert again != token
    assert _api_get(token).status_code == 200 and _api_get(again).status_code == 200
    # The admin lists only the prefix, owner and dates: never the token.
    superuser = UserFactory(username="sec-root", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    changelist = client.get("/admin/knox/authtoken/")
    assert changelist.status_code == 200
    page = changelist.content.decode()
    assert token[:15] in page and again[:15] in page
    for secret in (token, again, token[15:], again[15:]):
        assert secret not in page
    row = AuthToken.objects.get(token_key=token[:15])
    assert _api_get(row.digest).status_code == 401  # the digest (the row's key in admin URLs) is no credential
    detail = client.get(f"/admin/knox/authtoken/{row.pk}/change/")
    assert detail.status_code == 200
    assert token[15:] not in detail.content.decode()
    assert client.get("/admin/knox/authtoken/add/").status_code == 403  # tokens come from the command only
    # Deleting the row in the admin revokes the token.
    assert client.post(f"/admin/knox/authtoken/{row.pk}/delete/", {"post": "yes"}).status_code == 302
    assert _api_get(token).status_code == 401
    assert _api_get(again).status_code == 200


@pytest.mark.django_db
def test_expired_token_is_refused():
    user = UserFactory(username="sec-expired", is_staff=True, is_superuser=True)
    _, expired = AuthToken.objects.create(user=user, expiry=timedelta(seconds=-1))
    response = _api_get(expired)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert not AuthToken.objects.filter(user=user).exists()  # knox deletes it on sight
    _, fresh = AuthToken.objects.create(user=user, expiry=timedelta(minutes=5))
    assert _api_get(fresh).status_code == 200


@pytest.mark.django_db
def test_token_expiry_defaults_to_the_setting_and_days_overrides_it(settings):
    settings.API_TOKEN_TTL_DAYS = 30
    before = timezone.now()
    _issue("sec-ttl")
    _issue("sec-ttl-short", "--days", "2")
    default = AuthToken.objects.get(user__username="sec-ttl").expiry
    short = AuthToken.objects.get(user__username="sec-ttl-short").expiry
    assert before + timedelta(days=30) <= default <= timezone.now() + timedelta(days=30)
    assert before + timedelta(days=2) <= short <= timezone.now() + timedelta(days=2)
    with pytest.raises(CommandError, match="--days"):
        _issue("sec-ttl", "--days", "0")


@pytest.mark.django_db
def test_old_drf_token_table_is_gone():
    assert "authtoken_token" not in connection.introspection.table_names()


# --- Finding 8: password guessing ---------------------------------------------------------------------------------

def _sign_in(client: Client, path: str, username: str, password: str, **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


def _assert_locked(response) -> None:
    assert response.status_code == 429
    assert LOCKOUT_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_forty_wrong_passwords_lock_the_account_until_an_admin_unlocks(path):
    UserFactory(username="victim", is_staff=True)
    UserFactory(username="bystander", is_staff=True)
    attacker = Client()
    for _ in range(40):
        response = _sign_in(attacker, path, "victim", "wrong-password")
        assert response.status_code in {200, 429}
    _assert_locked(_sign_in(attacker, path, "victim", PASSWORD))
    # Another account from the same address is not locked, nor is the victim from another address.
    assert _sign_in(Client(), path, "bystander", PASSWORD).status_code == 302
    assert _sign_in(Client(REMOTE_ADDR="192.0.2.44"), path, "victim", PASSWORD).status_code == 302
    # An administrator unlocks by deleting the access attempt in the admin.
    admin_client = Client()
    admin_client.force_login(UserFactory(username="sec-root", is_staff=True, is_superuser=True))
    attempt = AccessAttempt.objects.get(username="victim")
    assert admin_client.get("/admin/axes/accessattempt/").status_code == 200
    assert admin_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}).status_code == 302
    response = _sign_in(attacker, path, "victim", PASSWORD)
    assert response.status_code == 302
    assert response.wsgi_request.session["_auth_user_id"]


@pytest.mark.django_db
def test_lockout_starts_at_the_limit_and_the_reset_command_unlocks(settings):
    UserFactory(username="victim")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, "/accounts/login/", "victim", "wrong-password").status_code == 200
    _assert_locked(_sign_in(client, "/accounts/login/", "victim", "wrong-password"))
    _assert_locked(_sign_in(client, "/accounts/login/", "victim", PASSWORD))
    call_command("axes_reset_username", "victim", stdout=io.StringIO())
    assert _sign_in(client, "/accounts/login/", "victim", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_token_api_calls_are_not_subject_to_the_password_lockout(api):
    for _ in range(10):
        _sign_in(Client(), "/admin/login/", "ops-admin", "wrong-password")  # conftest's admin_user
    assert AccessAttempt.objects.filter(username="ops-admin").exists()
    assert api.get("/api/cameras").status_code == 200


def test_client_address_trusts_forwarded_for_only_behind_configured_proxies(settings):
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.0.0.2",
                                    HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.5")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    assert client_ip_address(request) == "10.0.0.2"  # a forged header changes nothing without a proxy
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert client_ip_address(request) == "203.0.113.5"  # the address nginx-proxy saw
