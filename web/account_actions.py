"""The account actions the API and the pages share, each one request's whole work:
registering from this browser, changing the password from it, logging out here.
(Logging in is `web.unit.log_in`.) Put the cookies on the answer with `web.auth`.
`form_token`: a page's form's CSRF field (`web.unit.unit`)."""

from __future__ import annotations

from starlette.requests import Request

from forum import accounts, sessions
from forum.limits import Rule
from forum.permissions import check_can_write
from forum.sessions import LoggedIn, Login
from web import auth
from web.unit import unit


async def register(
    request: Request,
    *,
    email: str,
    display_name: str,
    password: str,
    organisation: str | None = None,
    show_organisation: bool = False,
    language: str = "en",
    form_token: str | None = None,
) -> LoggedIn:
    """A new account, logged in from this browser (which gets the device cookie a login
    would: it is the new member's own)."""
    policy = request.app.state.policy
    async with unit(request, Rule.REGISTER, form_token) as u:
        user = await accounts.register(
            u.session,
            email=email,
            display_name=display_name,
            password=password,
            organisation=organisation,
            show_organisation=show_organisation,
            language=language,
        )
        login = await sessions.open(u.session, policy, user["id"], auth.user_agent(request))
    return LoggedIn(login, user, sessions.device_token(policy, user["id"]))


async def change_password(
    request: Request, current: str, new: str, form_token: str | None = None
) -> tuple[Login, dict]:
    """Ends every session of the account, this one too, and opens a fresh one here: the
    new login and the account.

    Each request counts against the member's password limit before the current password
    is checked, so guessing it through a stolen session is limited too."""
    async with unit(request, Rule.PASSWORD, form_token) as u:
        check_can_write(u.actor)
        assert u.actor.user_id is not None
        await accounts.change_password(u.session, u.actor, current, new)
        await sessions.close_all(u.session, u.actor.user_id)
        login = await sessions.open(
            u.session, request.app.state.policy, u.actor.user_id, auth.user_agent(request)
        )
        user = await accounts.get(u.session, u.actor.user_id)
    return login, user


async def log_out(request: Request, form_token: str | None = None) -> None:
    """End the session this browser's cookie names, if any (clear the cookie after)."""
    async with unit(request, form_token=form_token) as u:
        token = request.cookies.get(auth.COOKIE)
        if u.current is not None and token:
            await sessions.close(u.session, request.app.state.policy, token)
