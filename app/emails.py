"""E-mail addresses: one way to check and normalise them, used by every feature."""

from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    pass


def normalise_email(address: str) -> str:
    """Return the address trimmed, checked and lower-cased (stored form, DESIGN rule 6).

    Raises InvalidEmail with the validator's reason. Deliverability (DNS) is not checked
    here: the appliance may have no network, and a mailing reports bounces anyway.
    """
    try:
        result = validate_email((address or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from None
    return result.normalized.lower()
