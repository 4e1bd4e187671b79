"""The account actions the API and the pages share, each one request's whole work:
registering from this browser, changing the password from it, logging out here.
(Logging in is `web.unit.log_in`.) Put the cookies on the answer with `web.auth`.
`form_token`: a page's form's CSRF field (`web.unit.unit`)."""

from __future__ import annotations

from starlette.requests import Request

from forum import accounts, leaving, limits, resets, sessions, verification
from forum.limits import Rule
from forum.permissions import check_can_write, check_signed_in
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
    would: it is the new member's own), and a verification email on its way."""
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
        await verification.send(u.session, request.app.state.mailer, user["id"])
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


async def delete_account(
    request: Request, password: str, *, keep_posts: bool, form_token: str | None = None
) -> int:
    """Delete the signed-in account (`forum.leaving`); how many posts went with it. Counts
    against the member's password limit before the password is checked."""
    async with unit(request, Rule.PASSWORD, form_token) as u:
        return await leaving.delete_account(u.session, u.actor, password, keep_posts=keep_posts)


async def log_out(request: Request, form_token: str | None = None) -> None:
    """End the session this browser's cookie names, if any (clear the cookie after)."""
    async with unit(request, form_token=form_token) as u:
        token = request.cookies.get(auth.COOKIE)
        if u.current is not None and token:
            await sessions.close(u.session, request.app.state.policy, token)


async def resend_verification(request: Request, form_token: str | None = None) -> None:
    """Send the signed-in member a new verification link (rate-limited per member)."""
    async with unit(request, Rule.VERIFY_RESEND, form_token) as u:
        check_signed_in(u.actor)
        assert u.actor.user_id is not None
        await verification.send(u.session, request.app.state.mailer, u.actor.user_id)


async def verify_email(request: Request, token: str) -> None:
    """Use a verification link's token; `tokens.unusable` (nothing changed) if it cannot."""
    async with unit(request) as u:
        await verification.verify(u.session, request.app.state.mailer, token)


async def forgot_password(request: Request, email: str, form_token: str | None = None) -> None:
    """Queue a reset link if an account has this address; the same outcome otherwise.

    Counted per client address, then per address asked for (whether or not it is an
    account's), each hit committed before the work."""
    async with unit(request, Rule.RESET_ADDRESS, form_token):
        pass
    email = accounts.normalise_email(email)
    await request.app.state.limiter.hit(limits.Bucket(Rule.RESET_ACCOUNT, "email " + email.lower()))
    async with unit(request, form_token=form_token) as u:
        await resets.request(u.session, request.app.state.mailer, email)


async def check_reset(request: Request, token: str) -> None:
    async with unit(request) as u:
        await resets.check(u.session, request.app.state.mailer, token)


async def reset_password(
    request: Request, token: str, new_password: str, form_token: str | None = None
) -> None:
    """Set a new password with a reset link's token; every session of the account ends."""
    async with unit(request, form_token=form_token) as u:
        await resets.reset(u.session, request.app.state.mailer, token, new_password)
