# Routes are added by the owning module (see docs/HELPERS.md).
urlpatterns: list = []
