"""Exit 0 when both PostgreSQL and Redis answer at the given URLs (used by `make test`)."""

import sys


def available(pg_url: str, redis_url: str) -> bool:
    try:
        import psycopg2
        import redis

        psycopg2.connect(pg_url, connect_timeout=3).close()
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=3)
        client.ping()
        client.close()
    except Exception:  # any failure means "not available"; the Makefile says what follows
        return False
    return True


if __name__ == "__main__":
    sys.exit(0 if available(sys.argv[1], sys.argv[2]) else 1)
