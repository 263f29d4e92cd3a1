"""Imports every feature's tasks, so that the huey consumer (`depesche worker`) and
immediate mode know all of them. A feature with a tasks.py adds its import here."""

from app import mail  # noqa: F401,E402  (deliver_queued_mail)
from app.bounces import tasks as bounce_tasks  # noqa: F401  (the bounce mailbox)
from app.exports import tasks as export_tasks  # noqa: F401
from app.mailings import tasks as mailings_tasks  # noqa: F401  (dispatch)
from app.senders import tasks as senders_tasks  # noqa: F401  (DNS check of sender domains)
from app.status import tasks as status_tasks  # noqa: F401
from app.transfer import tasks as transfer_tasks  # noqa: F401
