"""A country's UNCAC review on its page (`_country_review.html`, a section of
`/countries/{code}`) and the editors' form for one cycle
(`/countries/{code}/reviews/{cycle}/edit`), with the same action as the API
(`forum.reviews.set_review`). Post/Redirect/Get; errors next to the fields."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from babel import Locale
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forum import reviews
from forum.catalog import Catalog
from forum.errors import DomainError, Kind, not_found
from forum.permissions import allows, check_can_edit_knowledge
from web import forms, schemas
from web.api.reviews import cycle_number, review_data
from web.i18n import N_
from web.pages import messages
from web.pages.view import Viewer, render, viewer
from web.pages.view import not_found as not_found_page
from web.unit import Unit, unit

STAGE_LABELS = {
    "self_assessment": N_("Self-assessment"),
    "country_visit": N_("Country visit or joint meeting"),
    "executive_summary": N_("Executive summary"),
    "full_report": N_("Full country report"),
    "follow_up": N_("Follow-up"),
}
FACT_LABELS = {
    "self_assessment_published": N_("Self-assessment published"),
    "civil_society_consulted": N_("Civil society consulted"),
    "visit_met_civil_society": N_("Country visit met civil society"),
    "full_report_published": N_("Full report published"),
}
ANSWER_LABELS = {"yes": N_("Yes"), "no": N_("No"), "unknown": N_("Unknown")}
REVIEWERS = N_("Reviewing States")
DEMO = N_("Demonstration data")
_ROMAN = ("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII")


def field_label(key: str) -> str:
    """The untranslated label of a field a change names (`forum.reviews.columns`)."""
    if key.endswith("_on") and key[:-3] in STAGE_LABELS:
        return STAGE_LABELS[key[:-3]]
    if key.endswith("_url") and key[:-4] in FACT_LABELS:
        return FACT_LABELS[key[:-4]]
    return FACT_LABELS.get(key) or {"reviewers": REVIEWERS, "demo": DEMO}.get(key, key)


def chapters(numbers: Iterable[int]) -> str:
    """A cycle's chapters of the Convention as it numbers them: "III, IV"."""
    return ", ".join(_ROMAN[n] for n in numbers)


def _names(reader: Viewer) -> dict[str, Any]:
    territories = Locale.parse(reader.locale).territories
    return {
        "stage_labels": STAGE_LABELS, "fact_labels": FACT_LABELS,
        "answer_labels": ANSWER_LABELS,
        "changed": lambda keys: ", ".join(
            dict.fromkeys(reader.gettext(field_label(k)) for k in keys)
        ),
        "chapters": chapters,
        "state_name": lambda code: territories.get(code, code),
    }  # fmt: skip


async def section(u: Unit, reader: Viewer, known: Catalog, code: str) -> dict[str, Any]:
    """What `_country_review.html` shows on a country's page."""
    found = await reviews.for_country(u.session, u.actor, known, code)
    return {"reviews": found, "can_edit": allows(check_can_edit_knowledge, u.actor),
            **_names(reader)}  # fmt: skip


def _values(review: reviews.Review) -> dict[str, str]:
    data = review.data
    values = {s: (d.isoformat() if (d := data.stages.get(s)) else "") for s in reviews.STAGES}
    values["reviewers"] = ", ".join(data.reviewers)
    for name, fact in data.facts.items():
        values[name], values[f"{name}_url"] = fact.value, fact.url or ""
    values["demo"] = "on" if data.demo else ""
    return values


async def _render(
    request: Request, u: Unit, reader: Viewer, code: str, cycle: int,
    values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    known = await u.catalog()
    found = await reviews.for_country(u.session, u.actor, known, code)
    review = next((r for r in found if r.cycle == cycle), None)
    if review is None:
        raise not_found("cycle")
    return render(request, reader, "review_edit.html", status,
                  country=known.name("country", code), code=code, review=review,
                  values=values if values is not None else _values(review),
                  errors=errors or {}, stages=reviews.STAGES, facts=reviews.FACTS,
                  **_names(reader))  # fmt: skip


async def edit_page(request: Request) -> Response:
    code, cycle = request.path_params["code"].upper(), cycle_number(request)
    async with unit(request) as u:
        reader = viewer(request, u.current)
        if not u.actor.authenticated:
            return forms.redirect(f"/login?next={request.url.path}")
        try:
            check_can_edit_knowledge(u.actor)
            if cycle is None:
                raise not_found("cycle")
            return await _render(request, u, reader, code, cycle)
        except DomainError as failure:
            if failure.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            raise


def _form_errors(failure: ValidationError | DomainError, reader: Viewer) -> dict[str, str]:
    if isinstance(failure, DomainError):
        return messages.for_form(failure, reader.gettext)
    errors: dict[str, str] = {}
    for error in failure.errors(include_url=False, include_input=False):
        loc = [str(p) for p in error["loc"]]
        if loc[:1] == ["facts"] and len(loc) == 3:
            field = loc[1] if loc[2] == "value" else f"{loc[1]}_url"
        else:
            field = loc[1] if loc[:1] == ["stages"] and len(loc) > 1 else (loc or [""])[0]
        errors.setdefault(field or messages.FORM, reader.gettext(
            messages.BY_TYPE.get(error["type"], messages.BY_KIND[Kind.INVALID])))  # fmt: skip
    return errors


async def edit(request: Request) -> Response:
    code, cycle = request.path_params["code"].upper(), cycle_number(request)
    posted = await forms.read_form(request)
    values = {name: posted.get(name).strip() for name in
              (*reviews.STAGES, "reviewers", *reviews.FACTS,
               *(f"{f}_url" for f in reviews.FACTS))}  # fmt: skip
    values["demo"] = "on" if "demo" in posted else ""
    async with unit(request, form_token=posted.token) as u:
        reader = viewer(request, u.current)
        if cycle is None:
            return not_found_page(request, reader)
        try:
            data = forms.check(schemas.ReviewIn, {
                "stages": {s: values[s] or None for s in reviews.STAGES},
                "reviewers": [c.strip() for c in values["reviewers"].split(",") if c.strip()],
                "facts": {f: {"value": values[f] or "unknown", "url": values[f"{f}_url"] or None}
                          for f in reviews.FACTS},
                "demo": bool(values["demo"]),
            })  # fmt: skip
            await reviews.set_review(u.session, u.actor, await u.catalog(), code, cycle,
                                     review_data(data))  # fmt: skip
        except (ValidationError, DomainError) as failure:
            if isinstance(failure, DomainError) and failure.kind is Kind.NOT_FOUND:
                return not_found_page(request, reader)
            errors = _form_errors(failure, reader)
            return await _render(request, u, reader, code, cycle, values, errors, 422)
    return forms.redirect(f"/countries/{code}?saved={cycle}#review-{cycle}")


ROUTES = [
    Route("/countries/{code}/reviews/{cycle}/edit", edit_page, methods=["GET"]),
    Route("/countries/{code}/reviews/{cycle}/edit", edit, methods=["POST"]),
]
