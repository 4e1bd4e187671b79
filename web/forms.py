"""Pages' forms: reading a posted form, validating it with the API's own schemas, and
answering with Post/Redirect/Get.

A form is read with the same limits as an API body (size, UTF-8) and parsed into at most
`MAX_FIELDS` fields; its CSRF field is checked by `web.unit.unit(..., form_token=...)`.
"""

from __future__ import annotations

from typing import TypeVar
from urllib.parse import parse_qsl

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import RedirectResponse

from web.auth import FORM_FIELD
from web.errors import BadRequest
from web.inputs import body_bytes

MAX_FIELDS = 200
FORM_TYPE = "application/x-www-form-urlencoded"
M = TypeVar("M", bound=BaseModel)


class Form:
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def get(self, name: str, default: str = "") -> str:
        return next((value for key, value in self._pairs if key == name), default)

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key == name]

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self._pairs)

    @property
    def token(self) -> str:
        return self.get(FORM_FIELD)


async def read_form(request: Request) -> Form:
    raw = await body_bytes(request)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM_TYPE:
        raise BadRequest(415, "unsupported_media_type", f"Send the form as {FORM_TYPE}.")
    try:
        pairs = parse_qsl(
            raw.decode("ascii"),
            keep_blank_values=True,
            max_num_fields=MAX_FIELDS,
            encoding="utf-8",
            errors="strict",
        )
    except UnicodeDecodeError:
        raise BadRequest(400, "invalid_utf8", "The form is not valid UTF-8.") from None
    except ValueError:
        raise BadRequest(400, "bad_request", "The form could not be read.") from None
    # Browsers send a textarea's line breaks as CR LF.
    return Form([(key, value.replace("\r\n", "\n")) for key, value in pairs])


def check(model: type[M], values: dict[str, object]) -> M:
    """The values as the API would take them; a `ValidationError` names the fields."""
    return model.model_validate(values)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def local_path(value: str | None, default: str = "/") -> str:
    """`value` if it is a path on this site (where to go after a form), else `default`."""
    if (
        not value
        or len(value) > 2000
        or not value.startswith("/")
        or value.startswith(("//", "/\\"))
        or not value.isprintable()
    ):
        return default
    return value
