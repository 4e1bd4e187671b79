"""Every API operation, once: the app mounts these and the OpenAPI document describes them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route, get_route_path
from starlette.types import Scope

from web import schemas
from web.api import (
    accounts,
    applications,
    approvals,
    audit,
    calendar_events,
    catalog,
    experiences,
    flags,
    moderation,
    moderators,
    news,
    notifications,
    organisations,
    recovery,
    regions_admin,
    resources,
    reviews,
    revisions,
    search,
    splitting,
    suspensions,
    threads,
)

PREFIX = "/api/v1"
Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    handler: Handler
    summary: str
    response: type[BaseModel] | None
    status: int = 200
    body: type[BaseModel] | None = None
    query: tuple[str, ...] = ()
    errors: tuple[int, ...] = field(default=())
    idempotent: bool = False
    body_optional: bool = False


OPERATIONS = (
    Operation("GET", "/regions", catalog.regions, "List the regions you may read",
              schemas.RegionList),
    Operation("GET", "/topics", catalog.topics, "List the topics", schemas.TopicList),
    Operation("GET", "/countries", catalog.countries, "List countries and their regions",
              schemas.CountryList),
    Operation("GET", "/threads", threads.list_threads,
              "List threads, pinned first, newest activity first", schemas.ThreadList,
              query=("region", "topic", "country", "cursor", "limit"), errors=(404, 422)),
    Operation("POST", "/threads", threads.create_thread, "Start a thread with its first post",
              schemas.ThreadCreated, 201, schemas.ThreadCreate,
              errors=(400, 401, 403, 409, 413, 415, 422, 429), idempotent=True),
    Operation("GET", "/threads/{thread_id}", threads.get_thread,
              "A thread and a page of its posts (a merged thread: 404 thread_merged, "
              "fields.merged_into naming the thread its posts are in now, when you may "
              "read that one)", schemas.ThreadPage,
              query=("cursor", "limit"), errors=(404, 422)),
    Operation("POST", "/threads/{thread_id}/read", threads.mark_read,
              "Remember how far you have read a thread (members; never moves back)",
              schemas.ReadPosition, 200, schemas.ReadUpTo,
              errors=(400, 401, 403, 404, 413, 415, 422)),
    Operation("POST", "/threads/{thread_id}/posts", threads.create_post, "Reply to a thread",
              schemas.PostOut, 201, schemas.PostCreate,
              errors=(400, 401, 403, 404, 409, 413, 415, 422, 429), idempotent=True),
    *(Operation("POST", f"/threads/{{thread_id}}/{verb}", handler,
                f"{summary} (moderators of its region, admins; an optional reason)",
                schemas.ThreadOut, 200, schemas.ModerationNote,
                errors=(400, 401, 403, 404, 413, 415, 422), body_optional=True)
      for verb, handler, summary in (
          ("lock", moderation.lock_thread, "Lock a thread: only moderators may reply"),
          ("unlock", moderation.unlock_thread, "Unlock a thread"),
          ("pin", moderation.pin_thread, "Pin a thread at the top of its lists"),
          ("unpin", moderation.unpin_thread, "Unpin a thread"),
      )),
    Operation("POST", "/threads/{thread_id}/move", moderation.move_thread,
              "Move a thread to another region and topic (moderators of both regions, "
              "admins; an optional reason)", schemas.ThreadOut, 200, schemas.ThreadMove,
              errors=(400, 401, 403, 404, 413, 415, 422)),
    Operation("POST", "/threads/{thread_id}/split", splitting.split_thread,
              "Split a thread: a post (not the first: 422 cannot_split_at_first) and every "
              "later one move to a new thread, in this region and topic unless given "
              "(moderators of both regions, admins); answers the new thread",
              schemas.ThreadOut, 201, schemas.ThreadSplit,
              errors=(400, 401, 403, 404, 409, 413, 415, 422), idempotent=True),
    Operation("POST", "/threads/{thread_id}/merge", splitting.merge_thread,
              "Merge a thread into another (locked or not): its posts join it, interleaved "
              "by creation time, and its address leads there (moderators of both regions, "
              "admins); answers the thread merged into",
              schemas.ThreadOut, 200, schemas.ThreadMerge,
              errors=(400, 401, 403, 404, 409, 413, 415, 422), idempotent=True),
    *(Operation("POST", f"/posts/{{post_id}}/{verb}", handler,
                f"{summary} (moderators of its region, admins; an optional reason)",
                schemas.PostOut, 200, schemas.ModerationNote,
                errors=(400, 401, 403, 404, 409, 413, 415, 422), body_optional=True)
      for verb, handler, summary in (
          ("hide", moderation.hide_post, "Hide a post from readers (moderators and its "
           "author still see it)"),
          ("show", moderation.show_post, "Show a hidden post to readers again"),
          ("delete", moderation.delete_post, "Delete a post as its author would (a "
           "tombstone, its text gone from every reader)"),
          ("restore", moderation.restore_post, "Restore a deleted post (409 text_erased "
           "if its text was erased)"),
      )),
    Operation("PATCH", "/posts/{post_id}", threads.edit_post,
              "Edit your post (the old version is kept)", schemas.PostOut, 200,
              schemas.PostEdit, errors=(400, 401, 403, 404, 409, 413, 415, 422, 429)),
    Operation("DELETE", "/posts/{post_id}", threads.delete_post,
              "Delete your post (it stays as a tombstone)", schemas.PostOut,
              errors=(401, 403, 404, 409)),
    Operation("GET", "/posts/{post_id}/revisions", revisions.list_revisions,
              "Every version of a post, who edited it, which are redacted (its author, "
              "moderators of its region, admins)", schemas.RevisionList,
              errors=(403, 404)),
    Operation("POST", "/posts/{post_id}/revisions/{revision}/redact", revisions.redact,
              "Purge the text of an earlier version for good (moderators of its region, "
              "admins; a reason; 409 current_revision, already_redacted)",
              schemas.RevisionList, 200, schemas.Redaction,
              errors=(400, 401, 403, 404, 409, 413, 415, 422)),
    Operation("POST", "/preview", threads.preview,
              "Render Markdown as a post would be, storing nothing (members)", schemas.Preview,
              200, schemas.PreviewRequest, errors=(400, 401, 403, 413, 415, 422, 429)),
    Operation("GET", "/search", search.search,
              "Search posts, threads, organisations, experiences, news, events and "
              "resources across regions, with facets and suggestions",
              schemas.SearchResults,
              query=("q", "kind", "region", "country", "topic", "uncac", "author", "org",
                     "from", "to", "page"),
              errors=(422, 503)),
    Operation("POST", "/auth/register", accounts.register, "Create an account and log in",
              schemas.Me, 201, schemas.Register, errors=(400, 403, 409, 413, 415, 422, 429)),
    Operation("POST", "/auth/login", accounts.login, "Log in (sets the session cookie)",
              schemas.Me, 200, schemas.LoginRequest, errors=(400, 401, 403, 413, 415, 422, 429)),
    Operation("POST", "/auth/logout", accounts.logout, "End this session", None,
              errors=(403,)),
    Operation("GET", "/auth/me", accounts.me, "The logged-in account", schemas.Me,
              errors=(401,)),
    Operation("POST", "/auth/password", accounts.change_password,
              "Change password; ends every other session", schemas.Me, 200,
              schemas.PasswordChange, errors=(400, 401, 403, 413, 415, 422, 429)),
    Operation("PATCH", "/auth/me", accounts.change_me,
              "Change your display name, handle, interface language and/or email mode",
              schemas.Me, 200,
              schemas.SettingsChange, errors=(400, 401, 403, 409, 413, 415, 422)),
    Operation("GET", "/auth/me/export", accounts.export,
              "Download everything the forum holds about you, as one JSON file", None,
              errors=(401,)),
    Operation("DELETE", "/auth/me", accounts.delete_me,
              "Delete your account (your password); your posts stay under no name or go too",
              schemas.AccountDeleted, 200, schemas.AccountDelete,
              errors=(400, 401, 403, 413, 415, 422, 429)),
    Operation("GET", "/auth/sessions", accounts.list_sessions,
              "Your open sessions (logins), this one marked", schemas.SessionList,
              errors=(401,)),
    Operation("DELETE", "/auth/sessions/{session_id}", accounts.end_session,
              "End one of your sessions (this one: logs out)", schemas.SessionsEnded,
              errors=(401, 403, 404)),
    Operation("POST", "/auth/sessions/end-others", accounts.end_other_sessions,
              "End every session of yours but this one", schemas.SessionsEnded,
              errors=(401, 403)),
    Operation("POST", "/auth/verify", recovery.verify,
              "Confirm your email address with the token of the link sent to it",
              schemas.Accepted, 200, schemas.TokenRequest, errors=(400, 403, 413, 415, 422)),
    Operation("POST", "/auth/verify/resend", recovery.resend,
              "Send the verification link again (rate-limited)", schemas.Accepted, 202,
              errors=(401, 403, 409, 429)),
    Operation("POST", "/auth/password/forgot", recovery.forgot,
              "Email a password reset link valid one hour; the same answer whether or not "
              "an account has the address", schemas.Accepted, 202, schemas.PasswordForgot,
              errors=(400, 403, 413, 415, 422, 429)),
    Operation("POST", "/auth/password/reset", recovery.reset,
              "Set a new password with a reset link's token; ends every session",
              schemas.Accepted, 200, schemas.PasswordReset, errors=(400, 403, 413, 415, 422)),
    Operation("GET", "/auth/me/application", applications.mine,
              "Your membership application (the latest, pending or decided)",
              schemas.ApplicationOut, errors=(404,)),
    Operation("PUT", "/auth/me/application", applications.apply,
              "Apply to become a member, or change your pending application (applicants)",
              schemas.ApplicationOut, 200, schemas.ApplicationIn,
              errors=(400, 401, 403, 409, 413, 415, 422)),
    Operation("GET", "/applications", applications.queue,
              "The applications you decide: admins all, moderators their regions', "
              "representatives their verified organisation's", schemas.ApplicationList,
              query=("status", "cursor", "limit"), errors=(401, 403, 422)),
    Operation("POST", "/applications/{application_id}/approve", applications.approve,
              "Admit the applicant (their address must be confirmed); they are told by email",
              schemas.ApplicationOut, errors=(401, 403, 404, 409)),
    Operation("POST", "/applications/{application_id}/refuse", applications.refuse,
              "Refuse an application with a reason the applicant is sent",
              schemas.ApplicationOut, 200, schemas.Refusal,
              errors=(400, 401, 403, 404, 409, 413, 415, 422)),
    Operation("GET", "/audit", audit.entries,
              "The audit log, newest first: admins everything, moderators their regions' "
              "entries and their own", schemas.AuditList,
              query=("moderator", "action", "from", "to", "cursor", "limit"),
              errors=(401, 403, 422)),
    Operation("POST", "/users/{user_id}/suspend", suspensions.suspend,
              "Suspend a member for a period or until lifted, with the reason they are "
              "emailed (moderators: members; admins: anyone; nobody themselves)",
              schemas.StandingOut, 200, schemas.Suspension,
              errors=(400, 401, 403, 404, 413, 415, 422)),
    Operation("POST", "/users/{user_id}/reinstate", suspensions.reinstate,
              "Lift a member's suspension", schemas.StandingOut, 200, schemas.Reinstatement,
              errors=(400, 401, 403, 404, 409, 413, 415, 422)),
    Operation("POST", "/posts/{post_id}/flags", flags.raise_flag,
              "Report a post to its region's moderators (members; one open report per post)",
              schemas.FlagReceipt, 201, schemas.FlagIn,
              errors=(400, 401, 403, 404, 409, 413, 415, 422)),
    Operation("GET", "/regions/{slug}/flags", flags.queue,
              "A region's open flag cases, oldest first (its moderators, admins)",
              schemas.FlagCaseList, query=("cursor", "limit"), errors=(401, 403, 404, 422)),
    Operation("GET", "/flag-cases/{case_id}", flags.case,
              "A flag case: the post, its reports and the internal notes",
              schemas.FlagCaseOut, errors=(401, 403, 404)),
    Operation("POST", "/flag-cases/{case_id}/assign", flags.assign,
              "Take a case (\"me\", taking it over) or let it go (null)", schemas.FlagCaseOut,
              200, schemas.FlagAssign, errors=(400, 401, 403, 404, 409, 413, 415, 422)),
    Operation("POST", "/flag-cases/{case_id}/notes", flags.add_note,
              "Add an internal note to a case", schemas.FlagCaseOut, 201, schemas.FlagNoteIn,
              errors=(400, 401, 403, 404, 413, 415, 422)),
    Operation("POST", "/flag-cases/{case_id}/resolve", flags.resolve,
              "Resolve a case: dismiss, hide or delete the post, or suspend its author; the "
              "reporters are told in general terms", schemas.FlagCaseOut, 200,
              schemas.FlagResolution, errors=(400, 401, 403, 404, 409, 413, 415, 422)),
    Operation("GET", "/moderators", moderators.list_moderators,
              "The moderators and the regions each moderates (admins)", schemas.ModeratorList,
              errors=(401, 403)),
    Operation("PUT", "/users/{user_id}/moderated-regions", moderators.set_regions,
              "Name the regions a member moderates (admins); none: a member again",
              schemas.ModeratorOut, 200, schemas.ModeratedRegions,
              errors=(400, 401, 403, 404, 409, 413, 415, 422)),
    Operation("PUT", "/users/{user_id}/editor", moderators.set_editor,
              "Make a member an editor of the knowledge pages, or a member again (admins; "
              "a moderator stops moderating first: 409 is_moderator)",
              schemas.EditorOut, 200, schemas.EditorIn,
              errors=(400, 401, 403, 404, 409, 413, 415, 422)),
    Operation("GET", "/organisations", organisations.list_organisations,
              "The directory of organisations (CSO profiles), by name", schemas.OrganisationList,
              query=("region", "country", "cursor", "limit"), errors=(404, 422)),
    Operation("POST", "/organisations", organisations.create_organisation,
              "Create an organisation's profile (admins)", schemas.OrganisationOut, 201,
              schemas.OrganisationCreate, errors=(400, 401, 403, 409, 413, 415, 422)),
    Operation("GET", "/organisations/{slug}", organisations.get_organisation,
              "An organisation's profile: the fields and affiliations you may see",
              schemas.OrganisationOut, errors=(404,)),
    Operation("PATCH", "/organisations/{slug}", organisations.edit_organisation,
              "Edit a profile (its representatives and admins; verified: admins)",
              schemas.OrganisationOut, 200, schemas.OrganisationFields,
              errors=(400, 401, 403, 404, 413, 415, 422)),
    Operation("POST", "/organisations/{slug}/affiliations", organisations.affiliate,
              "Join as a member, or (representatives, admins) add or name someone",
              schemas.MemberChanged, 200, schemas.AffiliationIn,
              errors=(400, 401, 403, 404, 413, 415, 422)),
    Operation("PATCH", "/organisations/{slug}/affiliations/me", organisations.show_affiliation,
              "Show or hide your own affiliation", schemas.MemberChanged, 200,
              schemas.AffiliationShow, errors=(400, 401, 403, 404, 413, 415, 422)),
    Operation("DELETE", "/organisations/{slug}/affiliations/{user_id}",
              organisations.end_affiliation,
              "Leave (your own id), or remove a member (representatives, admins)",
              schemas.AffiliationEnded, errors=(401, 403, 404)),
    Operation("GET", "/experiences", experiences.list_experiences,
              "CSO experiences (case stories) you may read, newest first",
              schemas.ExperienceList, query=("organisation", "country", "topic", "cursor", "limit"),
              errors=(404, 422)),
    Operation("POST", "/experiences", experiences.create_experience,
              "Tell an experience of your organisation (its members)", schemas.ExperienceOut, 201,
              schemas.ExperienceCreate, errors=(400, 401, 403, 404, 413, 415, 422)),
    Operation("GET", "/experiences/{experience_id}", experiences.get_experience,
              "An experience, with the linked threads you may read", schemas.ExperienceOut,
              errors=(404,)),
    Operation("PATCH", "/experiences/{experience_id}", experiences.edit_experience,
              "Edit an experience (the organisation's members); the old version is kept",
              schemas.ExperienceOut, 200, schemas.ExperienceFields,
              errors=(400, 401, 403, 404, 413, 415, 422)),
    Operation("GET", "/experiences/{experience_id}/revisions", experiences.revisions,
              "Every version, oldest first (the organisation's members and moderators)",
              schemas.ExperienceRevisions, errors=(403, 404)),
    Operation("GET", "/countries/{code}/reviews", reviews.list_reviews,
              "A country's UNCAC review in every cycle: stages, reviewers, civil-society "
              "facts and the newest changes", schemas.ReviewList, errors=(404,)),
    Operation("PUT", "/countries/{code}/reviews/{cycle}", reviews.set_review,
              "Set a country's UNCAC review in one cycle, whole (editors, admins)",
              schemas.ReviewOut, 200, schemas.ReviewIn,
              errors=(400, 401, 403, 404, 413, 415, 422)),
    Operation("GET", "/regions/settings", regions_admin.listing,
              "Every region's settings (admins)", schemas.RegionSettingsList,
              errors=(401, 403)),
    Operation("PATCH", "/regions/{slug}", regions_admin.change,
              "Change a region's description or whether new members' posts await approval "
              "(admins)", schemas.RegionSettingsOut, 200, schemas.RegionSettingsIn,
              errors=(400, 401, 403, 404, 413, 415, 422)),
    Operation("GET", "/regions/{slug}/approvals", approvals.queue,
              "New members' posts awaiting approval in a region, oldest first (its "
              "moderators, admins)", schemas.ApprovalQueue, query=("cursor", "limit"),
              errors=(401, 403, 404, 422)),
    Operation("POST", "/posts/{post_id}/approve", approvals.approve,
              "Publish a post awaiting approval, optionally edited first (its text, a new "
              "thread's title); moderators of its region, admins", schemas.PostOut, 200,
              schemas.ApprovalIn, errors=(400, 401, 403, 404, 409, 413, 415, 422),
              body_optional=True),
    Operation("POST", "/posts/{post_id}/reject", approvals.reject,
              "Reject a post awaiting approval with a reason the author is emailed (it is "
              "deleted and its text erased)", schemas.Rejected, 200, schemas.RejectionIn,
              errors=(400, 401, 403, 404, 409, 413, 415, 422)),
    Operation("GET", "/events", calendar_events.list_events,
              "Calendar events you may read: upcoming soonest first, or past latest first",
              schemas.EventList,
              query=("when", "region", "country", "status", "cursor", "limit"), errors=(404, 422)),
    Operation("POST", "/events", calendar_events.propose_event,
              "Propose an event (members); it is read by you, editors and the region's "
              "moderators until published", schemas.EventOut, 201, schemas.EventCreate,
              errors=(400, 401, 403, 413, 415, 422)),
    Operation("GET", "/events/{event_id}", calendar_events.get_event, "An event you may read",
              schemas.EventOut, errors=(404,)),
    Operation("PATCH", "/events/{event_id}", calendar_events.edit_event,
              "Edit an event (editors, the region's moderators)", schemas.EventOut, 200,
              schemas.EventFields, errors=(400, 401, 403, 404, 413, 415, 422)),
    Operation("POST", "/events/{event_id}/publish", calendar_events.publish_event,
              "Publish an event (editors, the region's moderators)", schemas.EventOut,
              errors=(401, 403, 404, 409)),
    Operation("POST", "/events/{event_id}/decline", calendar_events.decline_event,
              "Decline an event with a reason for its proposer (editors, the region's "
              "moderators)", schemas.EventOut, 200, schemas.EventDecline,
              errors=(400, 401, 403, 404, 409, 413, 415, 422)),
    Operation("GET", "/resources", resources.list_resources,
              "Links to source documents and partners, newest first", schemas.ResourceList,
              query=("kind", "country", "topic", "cursor", "limit"), errors=(422,)),
    Operation("POST", "/resources", resources.create_resource, "Add a resource (editors)",
              schemas.ResourceOut, 201, schemas.ResourceCreate,
              errors=(400, 401, 403, 413, 415, 422)),
    Operation("GET", "/resources/{resource_id}", resources.get_resource, "A resource",
              schemas.ResourceOut, errors=(404,)),
    Operation("PATCH", "/resources/{resource_id}", resources.edit_resource,
              "Change a resource (editors); a new address is checked again",
              schemas.ResourceOut, 200, schemas.ResourceFields,
              errors=(400, 401, 403, 404, 413, 415, 422)),
    Operation("GET", "/news", news.list_news,
              "News about anti-corruption CSOs, newest first: published items of the regions "
              "you may read, and the proposals you may see", schemas.NewsList,
              query=("region", "country", "status", "cursor", "limit"), errors=(404, 422)),
    Operation("POST", "/news", news.create_news,
              "Post a news item (editors: published at once; members: proposed, for an editor "
              "or the region's moderators to approve)", schemas.NewsOut, 201,
              schemas.NewsCreate, errors=(400, 401, 403, 413, 415, 422)),
    Operation("GET", "/news/{news_id}", news.get_news, "A news item", schemas.NewsOut,
              errors=(404,)),
    Operation("PATCH", "/news/{news_id}", news.edit_news, "Change a news item (editors)",
              schemas.NewsOut, 200, schemas.NewsFields,
              errors=(400, 401, 403, 404, 413, 415, 422)),
    Operation("POST", "/news/{news_id}/approve", news.approve,
              "Publish a proposed news item (editors, the region's moderators)",
              schemas.NewsOut, errors=(401, 403, 404, 409)),
    Operation("POST", "/news/{news_id}/decline", news.decline,
              "Decline a proposed news item: it is deleted (editors, the region's moderators)",
              schemas.NewsDeclined, errors=(401, 403, 404, 409)),
    Operation("GET", "/notifications", notifications.list_notifications,
              "Your notifications, unread first then newest, as you may see them now",
              schemas.NotificationList, query=("cursor", "limit"), errors=(401, 422)),
    Operation("GET", "/notifications/count", notifications.count,
              "How many unread notifications you may see now", schemas.NotificationCount,
              errors=(401,)),
    Operation("POST", "/notifications/read", notifications.mark_read,
              "Mark notifications read (the ids given, or all)", schemas.NotificationsMarked,
              200, schemas.NotificationsRead, errors=(400, 401, 403, 413, 415, 422),
              body_optional=True),
    Operation("PUT", "/follows/{target}", notifications.follow,
              "Follow a thread, region, topic, country, organisation or saved search (or "
              "change how closely)", schemas.FollowOut, 200, schemas.FollowIn,
              errors=(400, 401, 403, 404, 409, 413, 415, 422)),
    Operation("DELETE", "/follows/{target}", notifications.unfollow, "Stop following",
              schemas.Unfollowed, errors=(401, 403, 404, 422)),
    Operation("GET", "/me/follows", notifications.my_follows, "What you follow",
              schemas.FollowList, errors=(401,)),
    Operation("POST", "/saved-searches", notifications.save_search,
              "Save a search and watch it: new matching posts notify", schemas.SavedSearchOut,
              201, schemas.SavedSearchIn, errors=(400, 401, 403, 404, 409, 413, 415, 422)),
    Operation("GET", "/me/saved-searches", notifications.my_saved_searches,
              "Your saved searches", schemas.SavedSearchList, errors=(401,)),
    Operation("DELETE", "/saved-searches/{saved_id}", notifications.delete_saved_search,
              "Delete a saved search", schemas.SavedSearchDeleted, errors=(401, 403, 404)),
)  # fmt: skip


def api_routes() -> list[Route]:
    """One route per path, taking every method the document declares for it, so that a
    405 names them all in `Allow` (Starlette answers 405 from the first route whose path
    matches; with a route per operation, that named one method of the path). HEAD goes
    with GET, as Starlette has it. A path with no parameter wins over one with, for every
    method: `DELETE /auth/sessions/end-others` is a 405, not a session named end-others."""
    by_path: dict[str, dict[str, Handler]] = {}
    for op in OPERATIONS:
        by_path.setdefault(op.path, {})[op.method] = op.handler
    routes: list[Route] = []
    for path, handlers in sorted(by_path.items(), key=lambda item: item[0].count("{")):
        depth = (PREFIX + path).count("/")
        before = [r for r in routes if r.path.count("/") == depth]
        routes.append(_ApiRoute(PREFIX + path, _by_method(handlers), list(handlers), before))
    return routes


class _ApiRoute(Route):
    def __init__(
        self, path: str, endpoint: Handler, methods: list[str], literal: list[Route]
    ) -> None:
        super().__init__(path, endpoint, methods=methods)
        self.literal = literal  # routes of the same depth with fewer parameters

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is not Match.NONE and any(
            r.path_regex.match(get_route_path(scope)) for r in self.literal
        ):
            return Match.NONE, {}
        return match, child


def _by_method(handlers: dict[str, Handler]) -> Handler:
    if len(handlers) == 1:
        return next(iter(handlers.values()))

    async def endpoint(request: Request) -> Response:
        return await handlers["GET" if request.method == "HEAD" else request.method](request)

    return endpoint
