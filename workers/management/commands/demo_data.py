"""`manage.py demo_data`: the demo tenant plus real pipeline output on a simulated store (used by `make demo`)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone
from tqdm import tqdm

from analytics.insights import insight_generate
from analytics.models import Promotion
from analytics.promotions import promotion_analyze
from analytics.services import stale_hours_drain
from cameras.models import Store
from workers.demo import demo_data_generate, demo_live_prepare


class Command(BaseCommand):
    help = ("Seed store_demo_001, an admin/admin login, simulated traffic run through the vision pipeline and the "
            "live demo camera (its clip written once under var/demo/).")

    def add_arguments(self, parser):
        parser.add_argument("--no-live", action="store_true", help="skip the live camera and its clip")

    def handle(self, *args, no_live: bool = False, **options):
        call_command("seed_demo")
        user_model = get_user_model()
        if not user_model.objects.filter(username="admin").exists():
            user_model.objects.create_superuser("admin", "admin@example.com", "admin")
            self.stdout.write("==> Created the demo login admin / admin (change it outside the demo)")
        store = Store.objects.get(store_id="store_demo_001")
        if not no_live:
            self.stdout.write("==> Live camera: a looping clip of people (var/demo/live.mp4, written on the first run)")
            camera = demo_live_prepare(store, settings.VAR_DIR / "demo")
            self.stdout.write(f"    {camera.name} ({camera.camera_id}): door line, floor zone, promo shelf, queue")
        self.stdout.write("==> Running the vision pipeline on a simulated store floor (tracker, zones, events)")
        result = demo_data_generate(store, progress=lambda items: tqdm(items, desc="sessions", unit="session"))
        if result["skipped"]:
            self.stdout.write("    demo traffic already present: skipped")
            return
        self.stdout.write(f"    {result['sessions']} sessions, {result['accepted']} events stored")
        call_command("aggregate", store=store.store_id, date_from=result["first_day"].isoformat(),
                     date_to=result["last_day"].isoformat())
        stale_hours_drain()  # the ingestion marked these hours for the beat job, which the demo does not run
        call_command("detect_spikes", store=store.store_id)
        for promotion in Promotion.objects.filter(store=store, analyzed_at__isnull=True):
            verdict = promotion_analyze(promotion).get("verdict", "")
            self.stdout.write(f"==> Promotion {promotion.name!r}: {verdict}")
        # Without OPENAI_API_KEY this is the deterministic rule-based generator (no network).
        insight = insight_generate(store, timezone.localdate(timezone=store.tzinfo), trigger="demo")
        self.stdout.write(f"==> Insight: {insight.title}")
