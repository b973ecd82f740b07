"""Login hardening: brute-force lockout (django-axes) and the Content-Security-Policy header."""

from django.urls import reverse

from tests.conftest import PASSWORD


def post_login(client, user, password):
    return client.post(reverse("login"), {"username": user.username, "password": password})


def test_five_failed_logins_lock_the_username_even_for_the_right_password(unit_a, client):
    user = unit_a.coordinator
    for _ in range(4):
        response = post_login(client, user, "fel-lösenord")
        assert response.status_code == 200
        assert "Inloggningen misslyckades" in response.content.decode()
    response = post_login(client, user, "fel-lösenord")
    assert response.status_code == 429
    response = post_login(client, user, PASSWORD)
    assert response.status_code == 429
    assert "Inloggningen är spärrad" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_successful_login_resets_the_failure_count(unit_a, client):
    user = unit_a.coordinator
    for _ in range(4):
        post_login(client, user, "fel-lösenord")
    assert post_login(client, user, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert post_login(client, user, "fel-lösenord").status_code == 200
    assert post_login(client, user, PASSWORD).status_code == 302


def test_another_username_is_not_locked(unit_a, client):
    for _ in range(5):
        post_login(client, unit_a.coordinator, "fel-lösenord")
    assert post_login(client, unit_a.investigator, PASSWORD).status_code == 302


def test_pages_forbid_inline_scripts_and_foreign_sources(unit_a, login):
    for response in (
        login(unit_a.coordinator).get("/"),
        login(unit_a.coordinator).get("/arenden/"),
    ):
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "default-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy


def test_an_over_long_user_name_gets_a_message_not_an_error(db, client):
    response = client.post(reverse("login"), {"username": "x" * 300, "password": "lösenord"})
    assert response.status_code == 200
    assert "Användarnamnet får vara högst 150 tecken." in response.content.decode()
    assert response.context["form"]["username"].value() == "x" * 300
