"""CORS headers on the functions' answers, for the one browser origin the stack allows
(the template's `AllowedOrigin`, as `CORS_ALLOWED_ORIGIN`). API Gateway answers the
preflights and its own errors; a function's answer, errors included, carries
Access-Control-Allow-Origin when the request comes from that origin (any, for "*")."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import CORSConfig
from pydantic import Field

from petstore_shared.settings import EnvironmentSettings, load_settings

PREFLIGHT_MAX_AGE_S = 600


class CorsSettings(EnvironmentSettings):
    allowed_origin: str = Field(default="", alias="CORS_ALLOWED_ORIGIN")


def cors_config() -> CORSConfig | None:
    """Powertools' CORS for the allowed origin; None (no CORS headers) when unset."""
    origin = load_settings(CorsSettings).allowed_origin
    return CORSConfig(allow_origin=origin, max_age=PREFLIGHT_MAX_AGE_S) if origin else None
