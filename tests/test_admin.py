"""The administration area is for administrators only."""


def test_administrator_sees_the_area_and_its_navigation_entry(client, login_as):
    login_as("administrator")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/admin/"' in page
    assert client.get("/admin/").status_code == 200


def test_other_users_get_403_and_no_navigation_entry(client, login_as):
    login_as("user")
    assert 'href="/admin/"' not in client.get("/").get_data(as_text=True)
    assert client.get("/admin/").status_code == 403
