"""Measure request costs against each other in one run and print the ratios.

Absolute times depend on the machine; ratios measured side by side in one process do not
(much), so they are what a reviewer compares between commits.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time

from app import create_app
from app.extensions import db
from app.models import upgrade
from app.users.services import create_user

ROUNDS = 200


def _time(func, rounds=ROUNDS) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app({"DATA_DIR": data_dir, "HUEY_IMMEDIATE": True})
        upgrade()
        with app.app_context():
            user, _ = create_user("bench@agentur.example", "Bench", password="Bench-Passwort-1")
        client = app.test_client()

        def login():
            browser = app.test_client()
            html = browser.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
            browser.post(
                "/login",
                data={"email": user.email, "password": "Bench-Passwort-1", "csrf_token": token},
            )
            return browser

        client = login()

        healthz = _time(lambda: client.get("/healthz"))
        login_page = _time(lambda: client.get("/login"))
        sign_in = _time(login, rounds=20)
        start_page = _time(lambda: client.get("/"))
        db.close()

    print(f"{'measure':<34}{'median':>12}{'× healthz':>12}")
    for name, value in [
        ("GET /healthz (db+queue+disk)", healthz),
        ("GET /login (template, CSRF)", login_page),
        ("GET / signed in", start_page),
        ("GET+POST /login (argon2id verify)", sign_in),
    ]:
        print(f"{name:<34}{value * 1000:>10.2f}ms{value / healthz:>12.1f}")
    __import__("tests.bench.imports", fromlist=["main"]).main()


if __name__ == "__main__":
    main()
