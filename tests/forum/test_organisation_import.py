"""`forum import-organisations`: every bad row reported with its line number and nothing
written; a dry run writes nothing; importing twice changes nothing the second time."""

from __future__ import annotations

from sqlalchemy import select

from forum import catalog, events, organisation_import, organisations
from forum.models import Organisation, Role
from forum.permissions import Actor
from tests.servers import run_forum

OPERATOR = Actor(0, Role.ADMIN)
HEADER = "slug,name,country,kind,phone,phone_visibility,topics,uncac_articles,verified\n"
GOOD = (
    HEADER
    + "forum-civil,Forum Civil,sn,ngo,+221 33 800 1234,private,public-procurement,9;13,yes\n"
    + '"transparency-ke","Transparency, Kenya",KE,network,,,,,\n'
    + "jakarta-watch,Jakarta Watch,ID,media,,,,,no\n"
)


async def _run(db, text, dry_run=False):
    async with db.transaction() as s:
        cat = await catalog.load(s)
        return await organisation_import.run(s, OPERATOR, cat, text, dry_run=dry_run)


async def _slugs(db):
    async with db.transaction() as s:
        return sorted(await s.scalars(select(Organisation.slug)))


async def test_bad_rows_are_reported_by_line_and_nothing_is_written(db):
    bad = (
        HEADER
        + "ok-one,Fine,SN,ngo,,,,,\n"
        + "bad-country,Nowhere,ZZ,ngo,,,,,\n"  # line 3
        + '"multi-line","Two\nlines",SN,ngo,,,,,\n'  # lines 4-5: newline in a name
        + "ok-one,Again,SN,ngo,,,,,\n"  # line 6: slug twice
        + "Bad Slug,Name,SN,ngo,,,,,\n"  # line 7
        + "kinds,Name,SN,party,,,,,\n"  # line 8
        + "articles,Name,SN,ngo,,,,x;99,\n"  # line 9
        + "topics,Name,SN,ngo,,,no-such,,\n"  # line 10
        + "extra,Name,SN,ngo,,,,,,surplus\n"  # line 11
    )
    report = await _run(db, bad)
    lines = [e.split(":")[0] for e in report.errors]
    assert lines == [f"line {n}" for n in (3, 4, 6, 7, 8, 9, 10, 11)], report.errors
    assert "country" in report.errors[0] and "line 2" in report.errors[2]
    assert report.created == []
    assert await _slugs(db) == []
    missing = await _run(db, "slug,name\nx,y\n")
    assert missing.errors == ["line 1: missing columns: country, kind"]


async def test_a_dry_run_counts_and_writes_nothing(db):
    report = await _run(db, GOOD, dry_run=True)
    assert report.created == ["forum-civil", "transparency-ke", "jakarta-watch"]
    assert await _slugs(db) == []
    async with db.transaction() as s:
        assert await events.read(s) == []


async def test_importing_twice_changes_nothing_the_second_time(db):
    first = await _run(db, GOOD)
    assert len(first.created) == 3 and not first.errors
    async with db.transaction() as s:
        log = len(await events.read(s))
        made = await organisations.get(s, OPERATOR, await catalog.load(s), "forum-civil")
    assert (made.country, made.verified, made.phone) == ("SN", True, "+221 33 800 1234")
    assert made.uncac_articles == [9, 13] and made.topics == ["public-procurement"]
    again = await _run(db, GOOD)
    assert (again.created, again.updated) == ([], [])
    assert len(again.unchanged) == 3
    async with db.transaction() as s:
        assert len(await events.read(s)) == log
    changed = await _run(db, GOOD.replace("Jakarta Watch", "Jakarta Watch Foundation"))
    assert changed.updated == ["jakarta-watch"]
    assert await _slugs(db) == ["forum-civil", "jakarta-watch", "transparency-ke"]


def test_the_command(server_env, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD, encoding="utf-8-sig")
    bad.write_text(HEADER + "x,Name,ZZ,ngo,,,,,\n", encoding="utf-8")
    refused = run_forum(server_env, "import-organisations", str(bad))
    assert refused.returncode == 1
    assert "line 2: country" in refused.stderr and "nothing imported" in refused.stderr
    dry = run_forum(server_env, "import-organisations", str(good), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "3 would be created" in dry.stdout
    done = run_forum(server_env, "import-organisations", str(good))
    assert "3 created, 0 updated, 0 unchanged" in done.stdout, done.stderr
    again = run_forum(server_env, "import-organisations", str(good))
    assert "0 created, 0 updated, 3 unchanged" in again.stdout
    missing = run_forum(server_env, "import-organisations", str(tmp_path / "none.csv"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
