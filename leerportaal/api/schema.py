from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "leerportaal.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key lp_<prefix>.<secret>`: an organisation's key (employer or provider).",
        }


def error_components(result, generator, request, public):
    """drf-spectacular postprocessing hook: the error shape and every stable error code.

    `ErrorCode` lists the handler's generic codes and every DomainError code (with its HTTP
    status in the description), so a client can branch on `code` from the schema alone.
    """
    from leerportaal.api.errors import GENERIC_CODES, registered_codes
    from leerportaal.errors import codes

    all_codes = dict(GENERIC_CODES)
    for code, (status, _message) in codes().items():
        all_codes.setdefault(code, status)
    for code, status in registered_codes().items():  # not yet DomainErrors
        all_codes.setdefault(code, status)
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorCode"] = {
        "type": "string",
        "enum": sorted(all_codes),
        "description": "Stable error codes (HTTP status): "
        + ", ".join(f"`{code}` ({all_codes[code]})" for code in sorted(all_codes)),
    }
    schemas["Error"] = {
        "type": "object",
        "description": "Every error response. Bad input adds `fields`; some domain errors add "
        "details such as `available` and `requested`.",
        "properties": {
            "code": {"$ref": "#/components/schemas/ErrorCode"},
            "message": {"type": "string"},
            "fields": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
        "required": ["code", "message"],
        "additionalProperties": True,
    }
    return result
