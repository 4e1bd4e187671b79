"""Register, log in, log out, who am I; one's settings (name, language, password) and
open sessions."""

from __future__ import annotations

from starlette.requests import Request

from forum import accounts, leaving, sessions
from forum.errors import DomainError, Kind
from web import account_actions as flows
from web import auth, schemas
from web.inputs import read_json
from web.responses import JSON
from web.unit import Unit, log_in, unit


def _me(user: dict, csrf_token: str, status: int = 200) -> JSON:
    return JSON({"user": user, "csrf_token": csrf_token}, status_code=status)


async def register(request: Request) -> JSON:
    data, _ = await read_json(request, schemas.Register)
    done = await flows.register(
        request,
        email=data.email,
        display_name=data.display_name,
        password=data.password,
        organisation=data.organisation,
        show_organisation=data.show_organisation,
        language=data.language,
    )
    response = _me(done.user, done.login.csrf_token, 201)
    auth.set_cookies(request, response, done)
    return response


async def login(request: Request) -> JSON:
    data, _ = await read_json(request, schemas.LoginRequest)
    done = await log_in(request, data.email, data.password)
    response = _me(done.user, done.login.csrf_token)
    auth.set_cookies(request, response, done)
    return response


async def logout(request: Request) -> JSON:
    await flows.log_out(request)
    response = JSON({"logged_out": True})
    auth.clear_cookie(response)
    return response


def _logged_in(u: Unit) -> sessions.Current:
    if u.current is None:
        raise DomainError(Kind.UNAUTHENTICATED, "login_required", "Not logged in.")
    return u.current


async def me(request: Request) -> JSON:
    async with unit(request) as u:
        current = _logged_in(u)
        assert u.actor.user_id is not None
        return _me(await accounts.get(u.session, u.actor.user_id), current.csrf_token)


async def change_me(request: Request) -> JSON:
    data, _ = await read_json(request, schemas.SettingsChange)
    async with unit(request) as u:
        current = _logged_in(u)
        user = await accounts.change_settings(
            u.session,
            u.actor,
            display_name=data.display_name,
            language=data.language,
            email_mode=data.email_mode,
            handle=data.handle,
        )
        return _me(user, current.csrf_token)


async def list_sessions(request: Request) -> JSON:
    async with unit(request) as u:
        current = _logged_in(u)
        found = await sessions.list_open(u.session, request.app.state.policy, u.actor, current.key)
    return JSON({"sessions": [schemas.SessionOut.of(s) for s in found]})


async def end_session(request: Request) -> JSON:
    """End one of your sessions (this one too: that logs this browser out)."""
    async with unit(request) as u:
        current = _logged_in(u)
        session_id = request.path_params["session_id"]
        ended = await sessions.end(u.session, request.app.state.policy, u.actor, session_id)
    response = JSON({"ended": 1})
    if ended == current.key:
        auth.clear_cookie(response)
    return response


async def end_other_sessions(request: Request) -> JSON:
    async with unit(request) as u:
        current = _logged_in(u)
        ended = await sessions.end_others(u.session, u.actor, current.key)
    return JSON({"ended": ended})


async def change_password(request: Request) -> JSON:
    """Ends every session of the account, including this one, and opens a fresh one here
    (`web.account_actions.change_password`)."""
    data, _ = await read_json(request, schemas.PasswordChange)
    login, user = await flows.change_password(request, data.current_password, data.new_password)
    response = _me(user, login.csrf_token)
    auth.set_cookie(request, response, login)
    return response


async def export(request: Request) -> JSON:
    """One JSON file of everything the forum holds about you (`forum.leaving.export`)."""
    async with unit(request) as u:
        _logged_in(u)
        data = await leaving.export(u.session, u.actor)
    return JSON(
        data,
        headers={
            "content-disposition": f'attachment; filename="forum-{data.account.id}.json"',
            "cache-control": "no-store",
        },
    )


async def delete_me(request: Request) -> JSON:
    """Delete your account (`forum.leaving.delete_account`); the cookie goes with it."""
    data, _ = await read_json(request, schemas.AccountDelete)
    deleted = await flows.delete_account(request, data.password, keep_posts=data.keep_posts)
    response = JSON({"deleted": True, "posts_deleted": deleted})
    auth.clear_cookie(response)
    return response
