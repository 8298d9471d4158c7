"""`manage.py seed_demo`: the deployment guide's demo tenant, idempotently.

Creates (or finds) an organisation, store `store_demo_001`, cameras `cam_entrance_01` (entrance line +
an entry zone), `cam_zone_01` (zone `electronics`, shelf `shelf_promo`) and `cam_checkout_01` (queue
`checkout`, used by the guide's queue test call), and prints an edge API key per camera, once. A
re-run creates nothing twice and issues no keys; `--new-keys` issues new keys and revokes the old.
`--store-key` also issues one store-wide key (the guide's config.yaml has one api_key for all cameras).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.text import slugify

from cameras.models import Camera, EdgeKey, Organization, Store
from cameras.services import camera_create
from events.keys import edge_key_create, edge_key_revoke
from zones.models import EntranceLine, Zone
from zones.services import entrance_line_set, zone_create

STORE_ID = "store_demo_001"
SHOT = (1920, 1080)
CAMERAS = [
    {
        "camera_id": "cam_entrance_01", "name": "Main Entrance Camera", "capabilities": ["entrance", "zones"],
        "rtsp_url": "rtsp://admin:pass@192.168.1.10:554/stream1",
        "line": {"start": [960, 400], "end": [960, 700], "inside_point": [1200, 550]},
        "zones": [("entrance_area", "Entrance area", Zone.ZoneType.ENTRY,
                   [[700, 300], [1400, 300], [1400, 800], [700, 800]])],
    },
    {
        "camera_id": "cam_zone_01", "name": "Product Zone Camera", "capabilities": ["zones", "shelves"],
        "rtsp_url": "rtsp://admin:pass@192.168.1.11:554/stream1",
        "zones": [
            ("electronics", "Electronics", Zone.ZoneType.GENERAL, [[300, 200], [800, 200], [800, 600], [300, 600]]),
            ("shelf_promo", "Promo shelf", Zone.ZoneType.SHELF, [[100, 100], [500, 100], [500, 400], [100, 400]]),
        ],
    },
    {
        "camera_id": "cam_checkout_01", "name": "Checkout Camera", "capabilities": ["queue"],
        "rtsp_url": "rtsp://admin:pass@192.168.1.12:554/stream1",
        "zones": [("checkout", "Checkout queue", Zone.ZoneType.QUEUE,
                   [[1300, 600], [1800, 600], [1800, 1000], [1300, 1000]])],
    },
]


class Command(BaseCommand):
    help = "Seed the deployment guide's demo organisation, store, cameras, zones and edge keys (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--new-keys", action="store_true",
                            help="issue new edge keys for the demo cameras and revoke their previous ones")
        parser.add_argument("--store-key", action="store_true",
                            help="also issue one store-wide key (valid for every camera of the store)")

    def handle(self, *args, new_keys: bool = False, store_key: bool = False, **options):
        def out(message: str = "") -> None:
            self.stdout.write(message + "\n", ending="")  # a message ending in "\n" leaves a blank line
        with transaction.atomic():
            out("🌱 Seeding production database...\n")
            out("1️⃣  Creating organization...")
            store = Store.objects.filter(store_id=STORE_ID).select_related("organization").first()
            if store is not None:
                organization, created = store.organization, False
            else:
                organization, created = Organization.objects.get_or_create(
                    slug=slugify(settings.ORG_NAME) or "default", defaults={"name": settings.ORG_NAME})
            out(f"   ✓ Organization {'created' if created else 'exists'}: {organization.pk}\n")

            out("2️⃣  Creating store...")
            if store is None:
                store = Store.objects.create(organization=organization, store_id=STORE_ID, name="Demo Store",
                                             timezone=settings.STORE_TIMEZONE)
                out(f"   ✓ Store created: {store.store_id}\n")
            else:
                out(f"   ✓ Store exists: {store.store_id}\n")

            out("3️⃣  Creating cameras...")
            for spec in CAMERAS:
                camera, created = self._camera(store, spec)
                verb = "Camera" if created else "Camera (exists)"
                out(f"   ✓ {verb}: {camera.name} ({camera.camera_id})")
                out(f"      Capabilities: {', '.join(camera.capabilities)}")
                active = EdgeKey.objects.filter(camera=camera, revoked_at__isnull=True)
                if new_keys or not active.exists():
                    for old in active:
                        edge_key_revoke(old)
                    issued = edge_key_create(organization=organization, store=store, camera=camera)
                    out(f"      API Key: {issued.api_key}")
                else:
                    prefixes = ", ".join(f"{k.prefix}…" for k in active)
                    out(f"      API Key: already issued ({prefixes}); run with --new-keys for new ones")

            if store_key:
                issued = edge_key_create(organization=organization, store=store, camera=None)
                out("\n4️⃣  Store-wide edge key (config.yaml api_key for every camera of the store)...")
                out(f"      API Key: {issued.api_key}")

    def _camera(self, store: Store, spec: dict) -> tuple[Camera, bool]:
        camera = Camera.objects.filter(store=store, camera_id=spec["camera_id"]).first()
        created = camera is None
        if created:
            camera = camera_create(store=store, name=spec["name"], camera_id=spec["camera_id"],
                                   rtsp_url=spec["rtsp_url"], capabilities=spec["capabilities"])
        line = spec.get("line")
        if line and not EntranceLine.objects.filter(camera=camera).exists():
            entrance_line_set(camera=camera, start=line["start"], end=line["end"],
                              inside_point=line["inside_point"], screenshot_size=SHOT)
        for zone_id, name, ztype, polygon in spec.get("zones", []):
            if not Zone.objects.filter(camera=camera, zone_id=zone_id).exists():
                zone_create(camera=camera, name=name, ztype=ztype, polygon=polygon, screenshot_size=SHOT,
                            zone_id=zone_id)
        return camera, created
