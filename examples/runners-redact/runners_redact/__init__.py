"""runners-redact: an example hook plugin that keeps card numbers out of stored sessions."""

from runners_redact.plugin import DEFAULT_REPLACEMENT, RedactPlugin
from runners_redact.redactor import Redactor, luhn_valid

__all__ = ["DEFAULT_REPLACEMENT", "RedactPlugin", "Redactor", "luhn_valid"]
