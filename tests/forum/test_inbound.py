"""Reading replies by email: what the member wrote, from the messages real clients send
(Gmail, Outlook, Apple Mail, Thunderbird, a phone, French and Spanish clients), and
which messages no person wrote."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from forum.mail import inbound

REPLY_TO = "reply+1.2.abc.0123456789abcdefghij@forum.example.org"
SIG_SPACE = " "  # the signature line is "-- " (dash dash space)
WRITTEN = "We tried this in Nairobi.\n\nThe tender data was incomplete."


def plain(body: str, subject: str = "Re: Monitoring tenders", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Amina Diallo <Amina@Example.org>"
    message["To"] = REPLY_TO
    message["Subject"] = subject
    message["Message-ID"] = "<CAF=abc123@mail.gmail.com>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return inbound.parse(message.as_bytes())


GMAIL = f"""{WRITTEN}

On Tue, Dec 1, 2026 at 3:10 AM CSO Forum <
{REPLY_TO}> wrote:

> Who has tried *open contracting* data?
>
> --
> CSO Anti-Corruption Forum
"""

OUTLOOK = f"""{WRITTEN}

Regards,
Amina

________________________________
From: CSO Forum <forum@forum.example.org>
Sent: Tuesday, December 1, 2026 3:10 AM
To: Amina Diallo <amina@example.org>
Subject: Monitoring tenders

Who has tried open contracting data?
"""

OUTLOOK_OLD = f"""{WRITTEN}

-----Original Message-----
From: CSO Forum [mailto:forum@forum.example.org]
Sent: 01 December 2026 03:10
Subject: Monitoring tenders

Who has tried open contracting data?
"""

APPLE = f"""{WRITTEN}

Sent from my iPhone

> On 1 Dec 2026, at 03:10, CSO Forum <{REPLY_TO}> wrote:
>
> Who has tried open contracting data?
"""

THUNDERBIRD = f"""On 01/12/2026 03:10, CSO Forum wrote:
> Who has tried open contracting data?

{WRITTEN}

--{SIG_SPACE}
Amina Diallo
Transparency Network, Dakar
"""

FRENCH_GMAIL = """Nous avons essayé à Dakar.

Envoyé de mon iPhone

Le mar. 1 déc. 2026 à 03:10, CSO Forum <forum@forum.example.org> a\u00a0écrit\u00a0:

> Qui a essayé les données ouvertes ?
"""

FRENCH_OUTLOOK = """Nous avons essayé à Dakar.

Obtenir Outlook pour Android
________________________________
De : CSO Forum <forum@forum.example.org>
Envoyé : mardi 1 décembre 2026 03:10
À : Amina Diallo
Objet : Suivi des marchés

Qui a essayé les données ouvertes ?
"""

SPANISH = """Lo probamos en Lima.

Enviado desde mi Samsung Galaxy

El mar, 1 dic 2026 a las 3:10, CSO Forum (<forum@forum.example.org>)
escribió:

> ¿Quién ha probado los datos abiertos?
"""

ANDROID_OUTLOOK = f"""{WRITTEN}

Get Outlook for Android<https://aka.ms/AAb9ysg>
"""


@pytest.mark.parametrize(
    ("body", "written"),
    [
        (GMAIL, WRITTEN),
        (OUTLOOK, WRITTEN + "\n\nRegards,\nAmina"),
        (OUTLOOK_OLD, WRITTEN),
        (APPLE, WRITTEN),
        (THUNDERBIRD, WRITTEN),
        (FRENCH_GMAIL, "Nous avons essayé à Dakar."),
        (FRENCH_OUTLOOK, "Nous avons essayé à Dakar."),
        (SPANISH, "Lo probamos en Lima."),
        (ANDROID_OUTLOOK, WRITTEN),
    ],
    ids=["gmail", "outlook", "outlook-original", "apple-iphone", "thunderbird-signature",
         "french-gmail-iphone", "french-outlook-android", "spanish-samsung", "outlook-android"],
)  # fmt: skip
def test_quotes_signatures_and_footers_are_left_out(body: str, written: str):
    found = inbound.read(plain(body))
    assert found.text == written
    assert not found.automatic and found.attachments == ()
    assert found.sender == "Amina@Example.org"
    assert found.message_id == "<CAF=abc123@mail.gmail.com>"


def test_a_members_own_words_about_someone_who_wrote_stay():
    body = "On Monday the minister wrote:\nthat the tender was public. It was not.\n"
    assert inbound.read(plain(body)).text == body.strip()
    inline = "> Who has tried it?\nWe did, in Nairobi.\n> And?\nIt worked.\n"
    assert inbound.read(plain(inline)).text == "We did, in Nairobi.\nIt worked."


GMAIL_HTML = (
    "<html><head><style>p {color: red}</style></head><body>"
    '<div dir="ltr"><p>We tried this in <b>Nairobi</b>.</p><p>It&nbsp;worked.<br>Twice.</p>'
    '</div><div class="gmail_quote"><div>On Tue, CSO Forum wrote:</div>'
    "<blockquote>Who has tried it?</blockquote></div></body></html>"
)
OUTLOOK_HTML = (
    "<html><body><div>Nous avons essayé.</div>"
    '<div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>De :</b> CSO Forum</div>'
    "<div>Qui a essayé ?</div></body></html>"
)


@pytest.mark.parametrize(
    ("html", "written"),
    [
        (GMAIL_HTML, "We tried this in Nairobi.\n\nIt worked.\nTwice."),
        (OUTLOOK_HTML, "Nous avons essayé."),
    ],
    ids=["gmail", "outlook"],
)
def test_an_html_only_message_is_read_as_text_without_its_quote(html: str, written: str):
    message = plain("")
    message.set_content(html, subtype="html")
    assert inbound.read(message).text == written


def test_the_plain_part_is_preferred_to_the_html_one():
    message = plain(GMAIL)
    message.add_alternative("<p>HTML words</p>", subtype="html")
    assert inbound.read(inbound.parse(message.as_bytes())).text == WRITTEN


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Auto-Submitted": "auto-generated; owner-email=x@example.org"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
        {"Precedence": "bulk"},
        {"Precedence": "auto_reply"},
        {"Precedence": "junk"},
        {"Precedence": "list"},
        {"Return-Path": "<>"},
        {"Subject": "Out of Office: Re: Monitoring tenders"},
        {"Subject": "Automatic reply: Monitoring tenders"},
        {"Subject": "Absence: Monitoring tenders"},
        {"Subject": "Réponse automatique : Suivi des marchés"},
        {"Subject": "Respuesta automática: Seguimiento"},
    ],
)
def test_auto_replies_are_recognised(headers: dict[str, str]):
    subject = headers.pop("Subject", "Re: Monitoring tenders")
    assert inbound.read(plain("I am away until Monday.", subject, **headers)).automatic


def test_people_are_not_auto_replies():
    for subject in ("Re: Absence of whistleblower protection", "Re: Out of the office tenders?"):
        assert not inbound.read(plain("We tried it.", subject)).automatic
    assert not inbound.read(plain("We tried it.", Auto_Submitted="no")).automatic
    assert not inbound.read(plain("We tried it."), envelope_sender="amina@example.org").automatic
    assert inbound.read(plain("We tried it."), envelope_sender="").automatic
    assert inbound.read(plain("We tried it."), envelope_sender="<>").automatic


def test_attachments_are_found_and_a_signature_logo_is_not_one():
    message = plain(WRITTEN)
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf",
                           filename="tender.pdf")  # fmt: skip
    assert inbound.read(inbound.parse(message.as_bytes())).attachments == ("tender.pdf",)

    photo = plain(WRITTEN)
    photo.add_attachment(b"\xff\xd8", maintype="image", subtype="jpeg", filename="IMG_0001.jpg",
                         disposition="inline")  # fmt: skip
    assert inbound.read(inbound.parse(photo.as_bytes())).attachments == ("IMG_0001.jpg",)

    logo = plain(WRITTEN)
    logo.add_alternative('<p>We tried.</p><img src="cid:logo">', subtype="html")
    html = logo.get_body(("html",))
    assert html is not None
    html.add_related(b"\x89PNG", maintype="image", subtype="png", cid="<logo>",
                     filename="logo.png")  # fmt: skip
    read = inbound.read(inbound.parse(logo.as_bytes()))
    assert read.attachments == () and read.text == WRITTEN


DSN = b"""From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: bounce+1.abc.0123456789abcdefghij@forum.example.org
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system. Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; amina@example.org
Action: %s
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 No such user

--B--
"""


def test_a_delivery_failure_is_told_from_a_delay_and_an_auto_reply():
    failed = inbound.parse(DSN % b"failed")
    assert inbound.delivery_failed(failed) and inbound.read(failed).automatic
    assert not inbound.delivery_failed(inbound.parse(DSN % b"delayed"))
    away = plain("I am away.", "Automatic reply: Monitoring tenders", Auto_Submitted="auto-replied")
    assert not inbound.delivery_failed(away)
    assert inbound.delivery_failed(plain("550 no such user", "Mail delivery failed: returning"))
