"""Small helpers shared by the sign-in tests."""

from tests.conftest import csrf_token


def login(client, email, password, **extra):
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client), **extra},
    )


def verify(client, code):
    return client.post(
        "/login/verify", data={"code": code, "csrf_token": csrf_token(client, "/login/verify")}
    )


def browser(app, language="en"):
    test_client = app.test_client()
    test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return test_client
