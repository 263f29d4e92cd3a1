"""The periodic DNS check of sender domains (SPEC M1, B3): the pre-send check shows the
stored state, so it never waits for DNS."""

from huey import crontab

from app.extensions import PRIORITY_STANDARD, huey, task
from app.senders.models import SenderDomain
from app.senders.services import domains_in_use, refresh_dns


@task()
def check_domain(domain_id: int):
    """Look up one domain's records now (each lookup bounded by DNS_LIFETIME)."""
    domain = SenderDomain.get_or_none(SenderDomain.id == domain_id)
    if domain is not None:
        refresh_dns(domain)


@huey.periodic_task(crontab(minute="23"), priority=PRIORITY_STANDARD)
def check_all_domains():
    """Every hour: queue a check of each domain that has an active sender."""
    check_all_domains_now()


@task()
def check_all_domains_now():
    for domain in domains_in_use():
        check_domain(domain.id)
