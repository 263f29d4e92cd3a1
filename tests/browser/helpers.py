"""Steps shared by the browser tests."""


def sign_in(page, email: str, password: str) -> None:
    """Fill and send the English sign-in form."""
    page.get_by_label("E-mail address", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
