"""Notifications to deployment owners: messages built from facts (`messages`), secrets removed
(`redaction`), channels (SMTP or SES email, Slack-compatible webhooks), per-deployment
preferences and delivery with bounded retries (`Notifier`). See docs/notifications.md."""
