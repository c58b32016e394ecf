"""E-mail notifications through Amazon SES from one sender, for the worker only.

- E-mail identity `notifications_email_from` (when the stage names one; production must): SES mails
  a verification link to the address when the stack is deployed; until it is clicked, SES
  refuses to send from it. An identity is one per address, account and region, so it belongs to
  one deployment (`StageConfig.email_identity`): the stage proper creates it, and an instance
  of the stage (a pull request's stack) shares it, sending from it without creating it, so it
  neither clashes with the stage's nor deletes it when it is destroyed.
- The worker may call `ses:SendEmail` and `ses:SendRawEmail` with that identity only, and sends
  through SES (`STRATIGOS_NOTIFICATIONS_EMAIL_TRANSPORT=ses`) in the stack's region from that
  address. Webhook notifications (Slack-compatible) need nothing here.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ses as ses
from constructs import Construct


class EmailNotifications(Construct):
    """The SES sender identity and the worker's permission to send from it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        sender: str,
        creates_identity: bool,
        worker: lambda_.Function,
    ) -> None:
        super().__init__(scope, construct_id)
        self.identity: ses.IEmailIdentity = (
            ses.EmailIdentity(self, "Sender", identity=ses.Identity.email(sender))
            if creates_identity
            else ses.EmailIdentity.from_email_identity_name(self, "Sender", sender)
        )
        self.identity.grant_send_email(worker)  # ses:SendEmail, ses:SendRawEmail on it only
        worker.add_environment("STRATIGOS_NOTIFICATIONS_EMAIL_TRANSPORT", "ses")
        worker.add_environment("STRATIGOS_NOTIFICATIONS_EMAIL_FROM", sender)
        worker.add_environment("STRATIGOS_NOTIFICATIONS_SES_REGION", Stack.of(self).region)
