"""Secrets stay out of logs, errors and health answers: URLs are shown without their password.

``redact_url`` is for a URL we hold (the broker's, a database's); ``redact_secrets`` is the
safety net over any text (a log line, an exception's message) that might embed one.
"""

import re
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
# scheme://user:password@ — the password ends at the last "@" before the host, but in free
# text we cannot know where the URL ends, so it stops at the first "@" or whitespace.
_USERINFO = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*):[^\s@]*@")


def redact_url(url: str) -> str:
    """``amqp://worker:s3cret@rabbitmq:5672/dte`` → ``amqp://worker:***@rabbitmq:5672/dte``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_secrets(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return redact_secrets(url)  # no password in the authority; maybe in a query
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{host}"))


def redact_secrets(text: str) -> str:
    """Every ``scheme://user:password@`` in ``text`` with the password masked."""
    if "://" not in text:
        return text
    return _USERINFO.sub(rf"\g<head>:{MASK}@", text)
