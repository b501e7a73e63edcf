"""Identity's domain (no I/O): the member, withdrawal-request and identity-document
aggregates, link and refresh tokens, field rules, refusals and the common-password list."""
