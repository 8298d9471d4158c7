"""Write nginx-proxy basic-auth files (/etc/nginx/htpasswd/<virtual host>) from the environment.

    python deploy/make_htpasswd.py OUTPUT_DIR

METRICS_DOMAIN gets METRICS_USER/METRICS_PASSWORD, FLOWER_DOMAIN gets FLOWER_USER/FLOWER_PASSWORD. Passwords
are stored salted ({SSHA}, which nginx's auth_basic understands), never in clear.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import sys
from pathlib import Path

PAIRS = (("METRICS_DOMAIN", "METRICS_USER", "METRICS_PASSWORD"), ("FLOWER_DOMAIN", "FLOWER_USER", "FLOWER_PASSWORD"))


def ssha(password: str) -> str:
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt).digest()  # noqa: S324 (the {SSHA} format nginx reads)
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: make_htpasswd.py OUTPUT_DIR", file=sys.stderr)
        return 2
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for domain_var, user_var, password_var in PAIRS:
        domain, user, password = (os.environ.get(name, "") for name in (domain_var, user_var, password_var))
        if not domain:
            continue
        if not password:
            print(f"{password_var} is empty: refusing to publish {domain} without a password", file=sys.stderr)
            return 1
        if ":" in (user or "admin"):
            print(f"{user_var} must not contain ':'", file=sys.stderr)
            return 1
        target = out / domain
        target.write_text(f"{user or 'admin'}:{ssha(password)}\n")
        target.chmod(0o644)
        print(f"wrote basic auth for {domain} ({user or 'admin'})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
