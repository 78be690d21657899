"""A fixed-window count of attempts in the shared cache (Redis in production, so every web
process counts together; files under var/ on one machine), for requests that must not be
repeated without limit: the password-reset email, per address and per email."""

from __future__ import annotations

import hashlib

from django.core.cache import cache


def attempt_allowed(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt for `key`; False once more than `limit` were made in the window.
    Keys are hashed: an email address or IP never lands in the cache as it is."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"ratelimit:{scope}:{digest}"
    # add() starts the window only if none is open; incr() is atomic on Redis.
    cache.add(cache_key, 0, timeout=window_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # the window closed between add() and incr()
        cache.set(cache_key, 1, timeout=window_seconds)
        count = 1
    return count <= limit
