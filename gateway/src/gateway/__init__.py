"""The bizmall gateway: the only public entry point (``python -m gateway api``, port 8000).

Where things are:

- :mod:`gateway.routes` — the route table: public path prefix → service, and
  whether a bearer token, the ``ops`` role or a strict rate limit applies.
  ``/internal/...`` is never forwarded.
- :mod:`gateway.proxy` — the raw ASGI forwarding of one request (streaming
  both ways, 413/503/504 problems, token check, rate limits, maintenance).
- :mod:`gateway.upstream` and :mod:`gateway.balancer` — the aiohttp client
  and the round-robin over every (base URL × resolved address) of a service.
- :mod:`gateway.ratelimit` — fixed windows in Redis. Redis down: login,
  registration and password reset fail closed (503), other writes fail open.
- :mod:`gateway.maintenance` — R1 windows read from Redis.
- :mod:`gateway.openapi`, :mod:`gateway.web` — merged schema at
  ``/api/v1/openapi.json`` (page at ``/api/v1/docs``) and the web client at ``/``.
- :mod:`gateway.config` — settings (``GATEWAY_`` prefix), including
  ``GATEWAY_RATE_LIMIT_PROFILE=benchmark`` for load tests.

Maintenance contract with the notification service (R1): the Redis key
``<REDIS_NAMESPACE>:maintenance:active`` holds a JSON list of the active
windows, each ``{"notice_id", "functions": [service names], "starts_at"
(optional), "ends_at", "message_ja", "message_en"}`` with ISO 8601
timestamps carrying an offset. The gateway re-reads it at most every
``GATEWAY_MAINTENANCE_CACHE_SECONDS`` (1.5 s); while a window covers a
service, writes (POST/PUT/PATCH/DELETE) to it answer 503
``gateway.maintenance`` with ``Retry-After`` (seconds until ``ends_at``) and
the notice's text; reads pass, and ``/api/v1/ops/...`` is never held.
"""
