from rest_framework.authentication import TokenAuthentication


class BearerTokenAuthentication(TokenAuthentication):
    """Admin/management token sent as `Authorization: Bearer <token>` (the guides' header)."""

    keyword = "Bearer"
