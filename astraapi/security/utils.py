from __future__ import annotations


def get_authorization_scheme_param(authorization_header_value: str | None) -> tuple[str, str]:
    """("Bearer", "token") from "Bearer token"; ("", "") when the header is empty or absent."""
    if not authorization_header_value:
        return "", ""
    scheme, _, rest = authorization_header_value.partition(" ")
    return scheme, rest.strip()
