"""Sender accounts and sender domains (SPEC M1): who a mailing comes from, the DKIM key of
each sender domain, the DNS records to publish and the state of what is published."""
