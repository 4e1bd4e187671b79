"""The UN Convention against Corruption by name: its eight chapters and 71 articles, as
the Convention titles them, for pages in the reader's language. The core keeps numbers
only (`forum.organisation_fields.UNCAC_CHAPTERS`, `UNCAC_ARTICLES`); the names are the
interface's, so they live here with the catalogs (the French and Spanish are the
Convention's own texts)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from web.i18n import N_, translations

# number: (Roman numeral, title, first article, last article)
_CHAPTERS = {
    1: ("I", N_("General provisions"), 1, 4),
    2: ("II", N_("Preventive measures"), 5, 14),
    3: ("III", N_("Criminalization and law enforcement"), 15, 42),
    4: ("IV", N_("International cooperation"), 43, 50),
    5: ("V", N_("Asset recovery"), 51, 59),
    6: ("VI", N_("Technical assistance and information exchange"), 60, 62),
    7: ("VII", N_("Mechanisms for implementation"), 63, 64),
    8: ("VIII", N_("Final provisions"), 65, 71),
}
_ARTICLES = (
    N_("Statement of purpose"),
    N_("Use of terms"),
    N_("Scope of application"),
    N_("Protection of sovereignty"),
    N_("Preventive anti-corruption policies and practices"),
    N_("Preventive anti-corruption body or bodies"),
    N_("Public sector"),
    N_("Codes of conduct for public officials"),
    N_("Public procurement and management of public finances"),
    N_("Public reporting"),
    N_("Measures relating to the judiciary and prosecution services"),
    N_("Private sector"),
    N_("Participation of society"),
    N_("Measures to prevent money-laundering"),
    N_("Bribery of national public officials"),
    N_("Bribery of foreign public officials and officials of public international organizations"),
    N_("Embezzlement, misappropriation or other diversion of property by a public official"),
    N_("Trading in influence"),
    N_("Abuse of functions"),
    N_("Illicit enrichment"),
    N_("Bribery in the private sector"),
    N_("Embezzlement of property in the private sector"),
    N_("Laundering of proceeds of crime"),
    N_("Concealment"),
    N_("Obstruction of justice"),
    N_("Liability of legal persons"),
    N_("Participation and attempt"),
    N_("Knowledge, intent and purpose as elements of an offence"),
    N_("Statute of limitations"),
    N_("Prosecution, adjudication and sanctions"),
    N_("Freezing, seizure and confiscation"),
    N_("Protection of witnesses, experts and victims"),
    N_("Protection of reporting persons"),
    N_("Consequences of acts of corruption"),
    N_("Compensation for damage"),
    N_("Specialized authorities"),
    N_("Cooperation with law enforcement authorities"),
    N_("Cooperation between national authorities"),
    N_("Cooperation between national authorities and the private sector"),
    N_("Bank secrecy"),
    N_("Criminal record"),
    N_("Jurisdiction"),
    N_("International cooperation"),
    N_("Extradition"),
    N_("Transfer of sentenced persons"),
    N_("Mutual legal assistance"),
    N_("Transfer of criminal proceedings"),
    N_("Law enforcement cooperation"),
    N_("Joint investigations"),
    N_("Special investigative techniques"),
    N_("General provision"),
    N_("Prevention and detection of transfers of proceeds of crime"),
    N_("Measures for direct recovery of property"),
    N_("Mechanisms for recovery of property through international cooperation in confiscation"),
    N_("International cooperation for purposes of confiscation"),
    N_("Special cooperation"),
    N_("Return and disposal of assets"),
    N_("Financial intelligence unit"),
    N_("Bilateral and multilateral agreements and arrangements"),
    N_("Training and technical assistance"),
    N_("Collection, exchange and analysis of information on corruption"),
    N_(
        "Other measures: implementation of the Convention through economic development "
        "and technical assistance"
    ),
    N_("Conference of the States Parties to the Convention"),
    N_("Secretariat"),
    N_("Implementation of the Convention"),
    N_("Settlement of disputes"),
    N_("Signature, ratification, acceptance, approval and accession"),
    N_("Entry into force"),
    N_("Amendment"),
    N_("Denunciation"),
    N_("Depositary and languages"),
)


@dataclass(frozen=True)
class Article:
    number: int
    name: str


@dataclass(frozen=True)
class Chapter:
    number: int
    roman: str
    name: str
    articles: tuple[Article, ...]


@cache
def chapters(locale: str) -> tuple[Chapter, ...]:
    """The chapters, each with its articles, named in `locale`."""
    gettext = translations(locale).gettext
    return tuple(
        Chapter(
            number,
            roman,
            gettext(title),
            tuple(Article(n, gettext(_ARTICLES[n - 1])) for n in range(first, last + 1)),
        )
        for number, (roman, title, first, last) in _CHAPTERS.items()
    )


@cache
def names(locale: str) -> tuple[dict[int, Chapter], dict[int, Article]]:
    """Chapters and articles by number, named in `locale`."""
    found = chapters(locale)
    return {c.number: c for c in found}, {a.number: a for c in found for a in c.articles}
