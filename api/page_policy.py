"""The web page's Content-Security-Policy and the Cognito address it may connect to: one
definition for the app (`api.routes.web`, `api.routes.ui_config`) and the edge that serves the
same page from its bucket (`infra.stacks.edge`). No imports: the CDK app reads it too."""

from __future__ import annotations


def cognito_endpoint(region: str) -> str:
    """Cognito's user-pool API in `region` (where the page signs a user in)."""
    return f"https://cognito-idp.{region}.amazonaws.com/"


def content_security_policy(cognito: str | None) -> str:
    """The page's policy: scripts, style sheets and fonts from its origin only (no inline
    script, no eval), style attributes allowed (plotly sets them), connections to its origin
    (HTTP and WebSocket) and to `cognito`, the origin of the user pool's address the page signs
    in at, no framing, no plugins, forms and `<base>` to its origin only."""
    connect = " ".join(filter(None, ["'self'", cognito]))
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            f"connect-src {connect}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
