"""Email verification and password reset through the API (the pages' actions,
`web.account_actions`). No answer ever carries a token."""

from __future__ import annotations

from starlette.requests import Request

from web import account_actions as flows
from web import schemas
from web.inputs import read_json
from web.responses import JSON


async def verify(request: Request) -> JSON:
    data, _ = await read_json(request, schemas.TokenRequest)
    await flows.verify_email(request, data.token)
    return JSON({"accepted": True})


async def resend(request: Request) -> JSON:
    await flows.resend_verification(request)
    return JSON({"accepted": True}, status_code=202)


async def forgot(request: Request) -> JSON:
    data, _ = await read_json(request, schemas.PasswordForgot)
    await flows.forgot_password(request, data.email)
    return JSON({"accepted": True}, status_code=202)


async def reset(request: Request) -> JSON:
    data, _ = await read_json(request, schemas.PasswordReset)
    await flows.reset_password(request, data.token, data.new_password)
    return JSON({"accepted": True})
