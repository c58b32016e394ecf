"""The redactor removes configured secrets and anything shaped like a credential."""

from __future__ import annotations

from pydantic import SecretStr

from notifications.redaction import (
    REDACTED,
    Redactor,
    display_url,
    settings_secrets,
    url_secrets,
)
from settings import NotificationSettings, Settings, SmtpSettings, StoreSettings


def test_configured_secrets_are_replaced_wherever_they_appear() -> None:
    redact = Redactor(["s3cr3t-value-1", "short", ""])
    assert redact("x s3cr3t-value-1 y s3cr3t-value-1") == f"x {REDACTED} y {REDACTED}"
    # too short to be a real secret: searching for it would redact ordinary words
    assert redact("a short note") == "a short note"


def test_longer_secrets_win_over_their_prefixes() -> None:
    redact = Redactor(["abcdefgh", "abcdefgh-and-more"])
    assert redact("key abcdefgh-and-more") == f"key {REDACTED}"


def test_credential_shaped_strings_are_redacted_without_configuration() -> None:
    redact = Redactor()
    samples = {
        "stratigos key stg_Q2hhbmdlTWVQbGVhc2VJdHNBVGVzdEtleTEyMzQ1Njc4OQ": "stg_Q2hh",
        "aws AKIAIOSFODNN7EXAMPLE": "AKIAIOSFODNN7EXAMPLE",
        "alpaca PKABCDEFGHIJ12345678": "PKABCDEFGHIJ12345678",
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl": "eyJhbGci",
        "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXX": "T000/B000",
        "https://chat.example.com/hooks/xi8dsk2j3n4b5v6c7x8z9": "xi8dsk2j3n4b5v6c7x8z9",
        "https://discord.com/api/webhooks/1234/AbCdEfGh": "AbCdEfGh",
        "https://acme.webhook.office.com/webhookb2/abc@def/IncomingWebhook/x": "webhookb2",
        "https://user:hunter2hunter2@example.com/x": "hunter2",
        "GET /x?token=abc123def&page=2": "abc123def",
        'config {"api_key": "k-123456"}': "k-123456",
        "password=p@ss, next": "p@ss",
    }
    for text, secret in samples.items():
        out = redact(text)
        assert secret not in out, (text, out)
        assert REDACTED in out
    assert redact("GET /x?token=abc123def&page=2") == f"GET /x?token={REDACTED}&page=2"
    assert redact("plain words, 12 shares at $3.00") == "plain words, 12 shares at $3.00"
    assert redact(redact("password=p@ss")) == redact("password=p@ss")


def test_settings_secrets_are_every_secret_field() -> None:
    settings = Settings(
        notifications=NotificationSettings(
            smtp=SmtpSettings(password=SecretStr("smtp-password-1"))
        ),
        store=StoreSettings(
            api_key_pepper=SecretStr("pepper-value-2"),
            api_key_pepper_secret_id="arn:aws:secretsmanager:pepper",
        ),
    )
    found = settings_secrets(settings)
    assert {"smtp-password-1", "pepper-value-2", "arn:aws:secretsmanager:pepper"} <= set(found)
    assert "us-east-1" not in found
    assert "stratigos@localhost" not in found


def test_webhook_urls_keep_their_host_only() -> None:
    url = "https://hooks.example.com/hooks/abc123def456?sig=zzz999"
    assert url_secrets(url) == ["hooks/abc123def456", "sig=zzz999"]
    assert display_url(url) == f"https://hooks.example.com/{REDACTED}"
    assert "abc123def456" not in Redactor(url_secrets(url))(f"posted to {url}")
    long_token = "https://chat.example.com/services/webhooks/Zk3qP9xW2mL7vB4nR8tY"
    redact = Redactor(url_secrets(long_token))
    assert redact("token Zk3qP9xW2mL7vB4nR8tY alone") == f"token {REDACTED} alone"
    assert redact("services and webhooks") == "services and webhooks"
