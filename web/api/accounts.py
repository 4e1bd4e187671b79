"""Register, log in, log out, who am I; one's settings (name, language, password) and
open sessions."""

from __future__ import annotations

from starlette.requests import Request

from forum import accounts, sessions
from forum.errors import DomainError, Kind
from forum.limits import Rule
from forum.permissions import check_can_write
from web import auth, schemas
from web.inputs import read_json
from web.responses import JSON
from web.unit import Unit, log_in, unit


def _me(user: dict, csrf_token: str, status: int = 200) -> JSON:
    return JSON({"user": user, "csrf_token": csrf_token}, status_code=status)


async def register(request: Request) -> JSON:
    data, _ = await read_json(request, schemas.Register)
    policy = request.app.state.policy
    async with unit(request, Rule.REGISTER) as u:
        user = await accounts.register(
            u.session,
            email=data.email,
            display_name=data.display_name,
            password=data.password,
            organisation=data.organisation,
            show_organisation=data.show_organisation,
            language=data.language,
        )
        login = await sessions.open(u.session, policy, user["id"], auth.user_agent(request))
    response = _me(user, login.csrf_token, 201)
    # This browser is the new member's own: it gets the device cookie a login would.
    done = sessions.LoggedIn(login, user, sessions.device_token(policy, user["id"]))
    auth.set_cookies(request, response, done)
    return response


async def login(request: Request) -> JSON:
    data, _ = await read_json(request, schemas.LoginRequest)
    done = await log_in(request, data.email, data.password)
    response = _me(done.user, done.login.csrf_token)
    auth.set_cookies(request, response, done)
    return response


async def logout(request: Request) -> JSON:
    async with unit(request) as u:
        token = request.cookies.get(auth.COOKIE)
        if u.current is not None and token:
            await sessions.close(u.session, request.app.state.policy, token)
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
            u.session, u.actor, display_name=data.display_name, language=data.language
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
    """Ends every session of the account, including this one, and opens a fresh one here.

    Each request counts against the member's password limit before the current password
    is checked, so guessing it through a stolen session is limited too."""
    data, _ = await read_json(request, schemas.PasswordChange)
    async with unit(request, Rule.PASSWORD) as u:
        check_can_write(u.actor)
        assert u.actor.user_id is not None
        await accounts.change_password(u.session, u.actor, data.current_password, data.new_password)
        await sessions.close_all(u.session, u.actor.user_id)
        login = await sessions.open(
            u.session, request.app.state.policy, u.actor.user_id, auth.user_agent(request)
        )
        user = await accounts.get(u.session, u.actor.user_id)
    response = _me(user, login.csrf_token)
    auth.set_cookie(request, response, login)
    return response
