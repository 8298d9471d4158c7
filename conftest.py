"""Fixtures shared by every test package (apps and tests/); the suite runs against real PostgreSQL and Redis."""

from __future__ import annotations

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import CameraFactory, OrganizationFactory, StoreFactory, UserFactory


@pytest.fixture
def admin_user(db):
    return UserFactory(username="ops-admin", is_staff=True, is_superuser=True)

@pytest.fixture
def admin_token(admin_user) -> str:
    """A knox API token (the database keeps its digest only) with the default expiry."""
    return AuthToken.objects.create(user=admin_user)[1]

@pytest.fixture
def api(admin_token) -> APIClient:
    """An API client sending the guides' `Authorization: Bearer <token>` header."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token}")
    return client

@pytest.fixture
def store(db):
    return StoreFactory(store_id="store_demo_001", name="Demo Store", timezone="Asia/Kolkata")

@pytest.fixture
def camera(store):
    return CameraFactory(store=store, camera_id="cam_entrance_01", name="Main Entrance Camera")

@pytest.fixture
def org_member(db):
    """A non-staff user who belongs to one organisation with one store."""
    organization = OrganizationFactory()
    user = UserFactory()
    organization.members.add(user)
    member_store = StoreFactory(organization=organization)
    return user, member_store
