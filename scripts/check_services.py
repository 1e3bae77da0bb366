"""Check that PostgreSQL and Redis answer where the test run expects them; say how to fix it."""

import os
import sys
from urllib.parse import urlparse

import psycopg2
import redis

database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/archives")
redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
failures = []

parts = urlparse(database_url)
try:
    psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
        connect_timeout=5,
    ).close()
except psycopg2.Error as exc:
    failures.append(
        f"PostgreSQL is not reachable at {parts.hostname}:{parts.port or 5432} ({exc.__class__.__name__}: {exc}).\n"
        "  Start it:  pg_ctlcluster --skip-systemctl-redirect 15 main start   (or set DATABASE_URL)"
    )
try:
    redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
except redis.RedisError as exc:
    failures.append(
        f"Redis is not reachable at {redis_url} ({exc}).\n"
        '  Start it:  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'
        "   (or set REDIS_URL)"
    )
if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
print(f"PostgreSQL and Redis are up ({parts.hostname}:{parts.port or 5432}, {redis_url}).")
