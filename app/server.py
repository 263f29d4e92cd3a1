"""Running the service: gunicorn for the web app, huey's consumer for the worker."""

from __future__ import annotations

import logging

from gunicorn.app.base import BaseApplication

from app.extensions import db, huey


class _Gunicorn(BaseApplication):
    def __init__(self, app, options):
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.application


def serve(app, host: str, port: int, workers: int, threads: int) -> None:
    """Serve `app` with gunicorn; the app is built (and its settings checked) before forking."""
    if not db.is_closed():
        db.close()  # no connection may be shared across the fork
    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "accesslog": "-",
        "errorlog": "-",
        "timeout": 60,
        "graceful_timeout": 30,
        "forwarded_allow_ips": "127.0.0.1,::1",
        "proc_name": "depesche-web",
        "control_socket_disable": True,  # not used; it would write into $HOME
    }
    _Gunicorn(app, options).run()


def run_worker(app, workers: int, periodic: bool = True) -> None:
    """Run huey's consumer with threads; SIGINT stops it gracefully, SIGHUP restarts it."""
    if huey.immediate:
        huey.immediate = False
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    with app.app_context():  # before any task runs: what a crash left behind (SPEC M5)
        from app.mailings.dispatch import recover

        db.connect(reuse_if_open=True)
        recover()
        db.close()
    consumer = huey.create_consumer(
        workers=workers, worker_type="thread", periodic=periodic, check_worker_health=True
    )
    consumer.run()
