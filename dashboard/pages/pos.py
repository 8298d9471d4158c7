"""The store's point-of-sale page: CSV upload with a preview before anything is written. Thin, tenant-scoped."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from dashboard.pages.cameras import store_for_user_or_404
from pos.selectors import pos_settings_read, pos_store_summary


@login_required
@ensure_csrf_cookie
def store_pos(request, store_id: str):
    store = store_for_user_or_404(request.user, store_id)
    settings = pos_settings_read(store)
    return render(request, "pos/store_pos.html", {
        "store": store,
        "active": "pos",
        "summary": pos_store_summary(store),
        "currency": settings["currency"],
        "config": {
            "store_id": store.store_id,
            "options": settings["csv"] or {},
            "api": {
                "preview": f"/api/pos/stores/{store.store_id}/csv/preview",
                "import": f"/api/pos/stores/{store.store_id}/csv/import",
            },
        },
    })
