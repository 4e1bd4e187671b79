"""Demo content for a fresh forum: regions, countries, topics, members and sample threads.

Pure data, drawn from the UNODC civil-society brochure in `shared/seed/` and rewritten as
the kind of discussion members would have. Member accounts and organisations are fictional;
organisations named inside posts (CSNAC, OLCAC, Transparency International Bosnia, Women in
Equality Foundation) are the real examples the brochure cites.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    slug: str
    name: str
    description: str


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2, upper case
    name: str
    region: str  # Region.slug


@dataclass(frozen=True)
class Topic:
    slug: str
    name: str
    description: str


@dataclass(frozen=True)
class Member:
    email: str
    display_name: str
    organisation: str
    language: str


@dataclass(frozen=True)
class Reply:
    author: str  # Member.email
    body: str  # Markdown


@dataclass(frozen=True)
class Thread:
    region: str
    topic: str
    countries: tuple[str, ...]
    title: str
    author: str
    body: str
    replies: tuple[Reply, ...] = ()


REGIONS: tuple[Region, ...] = (
    Region(
        "africa",
        "Africa",
        "Civil society across sub-Saharan Africa working on UNCAC, country reviews and "
        "integrity in the private sector.",
    ),
    Region(
        "middle-east-north-africa",
        "Middle East and North Africa",
        "Exchanges among CSOs of the Arab States and North Africa on transparency, "
        "participation and UNCAC implementation.",
    ),
    Region(
        "south-east-europe",
        "South-East Europe",
        "CSOs of the Western Balkans and their neighbours comparing notes on reviews, "
        "procurement and anti-corruption agencies.",
    ),
    Region(
        "eastern-europe-central-asia",
        "Eastern Europe and Central Asia",
        "A space for civil society from Eastern Europe, the Caucasus and Central Asia to share "
        "anti-corruption work.",
    ),
    Region(
        "south-east-asia",
        "South-East Asia",
        "CSOs from ASEAN countries and Timor-Leste discussing UNCAC reviews, access to "
        "information and community monitoring.",
    ),
    Region(
        "pacific",
        "Pacific",
        "Civil society in Pacific island states, Australia and New Zealand working on "
        "accountability and the Convention.",
    ),
    Region(
        "latin-america-caribbean",
        "Latin America and the Caribbean",
        "Organisations from Latin America and the Caribbean sharing campaigns, cases and "
        "review experience.",
    ),
    Region(
        "global",
        "Global and cross-regional",
        "Discussions that span regions: the Conference of the States Parties, global "
        "campaigns and shared methods.",
    ),
)


COUNTRIES: tuple[Country, ...] = (
    # Africa (sub-Saharan)
    Country("AO", "Angola", "africa"),
    Country("BJ", "Benin", "africa"),
    Country("BW", "Botswana", "africa"),
    Country("BF", "Burkina Faso", "africa"),
    Country("BI", "Burundi", "africa"),
    Country("CV", "Cabo Verde", "africa"),
    Country("CM", "Cameroon", "africa"),
    Country("CF", "Central African Republic", "africa"),
    Country("TD", "Chad", "africa"),
    Country("KM", "Comoros", "africa"),
    Country("CG", "Congo", "africa"),
    Country("CD", "Democratic Republic of the Congo", "africa"),
    Country("CI", "Côte d'Ivoire", "africa"),
    Country("DJ", "Djibouti", "africa"),
    Country("GQ", "Equatorial Guinea", "africa"),
    Country("ER", "Eritrea", "africa"),
    Country("SZ", "Eswatini", "africa"),
    Country("ET", "Ethiopia", "africa"),
    Country("GA", "Gabon", "africa"),
    Country("GM", "Gambia", "africa"),
    Country("GH", "Ghana", "africa"),
    Country("GN", "Guinea", "africa"),
    Country("GW", "Guinea-Bissau", "africa"),
    Country("KE", "Kenya", "africa"),
    Country("LS", "Lesotho", "africa"),
    Country("LR", "Liberia", "africa"),
    Country("MG", "Madagascar", "africa"),
    Country("MW", "Malawi", "africa"),
    Country("ML", "Mali", "africa"),
    Country("MR", "Mauritania", "africa"),
    Country("MU", "Mauritius", "africa"),
    Country("MZ", "Mozambique", "africa"),
    Country("NA", "Namibia", "africa"),
    Country("NE", "Niger", "africa"),
    Country("NG", "Nigeria", "africa"),
    Country("RW", "Rwanda", "africa"),
    Country("ST", "Sao Tome and Principe", "africa"),
    Country("SN", "Senegal", "africa"),
    Country("SC", "Seychelles", "africa"),
    Country("SL", "Sierra Leone", "africa"),
    Country("SO", "Somalia", "africa"),
    Country("ZA", "South Africa", "africa"),
    Country("SS", "South Sudan", "africa"),
    Country("SD", "Sudan", "africa"),
    Country("TG", "Togo", "africa"),
    Country("UG", "Uganda", "africa"),
    Country("TZ", "United Republic of Tanzania", "africa"),
    Country("ZM", "Zambia", "africa"),
    Country("ZW", "Zimbabwe", "africa"),
    # Middle East and North Africa
    Country("DZ", "Algeria", "middle-east-north-africa"),
    Country("BH", "Bahrain", "middle-east-north-africa"),
    Country("EG", "Egypt", "middle-east-north-africa"),
    Country("IR", "Iran (Islamic Republic of)", "middle-east-north-africa"),
    Country("IQ", "Iraq", "middle-east-north-africa"),
    Country("JO", "Jordan", "middle-east-north-africa"),
    Country("KW", "Kuwait", "middle-east-north-africa"),
    Country("LB", "Lebanon", "middle-east-north-africa"),
    Country("LY", "Libya", "middle-east-north-africa"),
    Country("MA", "Morocco", "middle-east-north-africa"),
    Country("OM", "Oman", "middle-east-north-africa"),
    Country("PS", "State of Palestine", "middle-east-north-africa"),
    Country("QA", "Qatar", "middle-east-north-africa"),
    Country("SA", "Saudi Arabia", "middle-east-north-africa"),
    Country("SY", "Syrian Arab Republic", "middle-east-north-africa"),
    Country("TN", "Tunisia", "middle-east-north-africa"),
    Country("AE", "United Arab Emirates", "middle-east-north-africa"),
    Country("YE", "Yemen", "middle-east-north-africa"),
    # South-East Europe
    Country("AL", "Albania", "south-east-europe"),
    Country("BA", "Bosnia and Herzegovina", "south-east-europe"),
    Country("BG", "Bulgaria", "south-east-europe"),
    Country("HR", "Croatia", "south-east-europe"),
    Country("GR", "Greece", "south-east-europe"),
    Country("ME", "Montenegro", "south-east-europe"),
    Country("MK", "North Macedonia", "south-east-europe"),
    Country("RO", "Romania", "south-east-europe"),
    Country("RS", "Serbia", "south-east-europe"),
    Country("SI", "Slovenia", "south-east-europe"),
    Country("TR", "Türkiye", "south-east-europe"),
    # Eastern Europe and Central Asia
    Country("AM", "Armenia", "eastern-europe-central-asia"),
    Country("AZ", "Azerbaijan", "eastern-europe-central-asia"),
    Country("BY", "Belarus", "eastern-europe-central-asia"),
    Country("GE", "Georgia", "eastern-europe-central-asia"),
    Country("KZ", "Kazakhstan", "eastern-europe-central-asia"),
    Country("KG", "Kyrgyzstan", "eastern-europe-central-asia"),
    Country("MN", "Mongolia", "eastern-europe-central-asia"),
    Country("MD", "Republic of Moldova", "eastern-europe-central-asia"),
    Country("RU", "Russian Federation", "eastern-europe-central-asia"),
    Country("TJ", "Tajikistan", "eastern-europe-central-asia"),
    Country("TM", "Turkmenistan", "eastern-europe-central-asia"),
    Country("UA", "Ukraine", "eastern-europe-central-asia"),
    Country("UZ", "Uzbekistan", "eastern-europe-central-asia"),
    # South-East Asia
    Country("BN", "Brunei Darussalam", "south-east-asia"),
    Country("KH", "Cambodia", "south-east-asia"),
    Country("ID", "Indonesia", "south-east-asia"),
    Country("LA", "Lao People's Democratic Republic", "south-east-asia"),
    Country("MY", "Malaysia", "south-east-asia"),
    Country("MM", "Myanmar", "south-east-asia"),
    Country("PH", "Philippines", "south-east-asia"),
    Country("SG", "Singapore", "south-east-asia"),
    Country("TH", "Thailand", "south-east-asia"),
    Country("TL", "Timor-Leste", "south-east-asia"),
    Country("VN", "Viet Nam", "south-east-asia"),
    # Pacific
    Country("AU", "Australia", "pacific"),
    Country("FJ", "Fiji", "pacific"),
    Country("KI", "Kiribati", "pacific"),
    Country("MH", "Marshall Islands", "pacific"),
    Country("FM", "Micronesia (Federated States of)", "pacific"),
    Country("NR", "Nauru", "pacific"),
    Country("NZ", "New Zealand", "pacific"),
    Country("PW", "Palau", "pacific"),
    Country("PG", "Papua New Guinea", "pacific"),
    Country("WS", "Samoa", "pacific"),
    Country("SB", "Solomon Islands", "pacific"),
    Country("TO", "Tonga", "pacific"),
    Country("TV", "Tuvalu", "pacific"),
    Country("VU", "Vanuatu", "pacific"),
    # Latin America and the Caribbean
    Country("AR", "Argentina", "latin-america-caribbean"),
    Country("BS", "Bahamas", "latin-america-caribbean"),
    Country("BB", "Barbados", "latin-america-caribbean"),
    Country("BZ", "Belize", "latin-america-caribbean"),
    Country("BO", "Bolivia (Plurinational State of)", "latin-america-caribbean"),
    Country("BR", "Brazil", "latin-america-caribbean"),
    Country("CL", "Chile", "latin-america-caribbean"),
    Country("CO", "Colombia", "latin-america-caribbean"),
    Country("CR", "Costa Rica", "latin-america-caribbean"),
    Country("CU", "Cuba", "latin-america-caribbean"),
    Country("DO", "Dominican Republic", "latin-america-caribbean"),
    Country("EC", "Ecuador", "latin-america-caribbean"),
    Country("SV", "El Salvador", "latin-america-caribbean"),
    Country("GT", "Guatemala", "latin-america-caribbean"),
    Country("GY", "Guyana", "latin-america-caribbean"),
    Country("HT", "Haiti", "latin-america-caribbean"),
    Country("HN", "Honduras", "latin-america-caribbean"),
    Country("JM", "Jamaica", "latin-america-caribbean"),
    Country("MX", "Mexico", "latin-america-caribbean"),
    Country("NI", "Nicaragua", "latin-america-caribbean"),
    Country("PA", "Panama", "latin-america-caribbean"),
    Country("PY", "Paraguay", "latin-america-caribbean"),
    Country("PE", "Peru", "latin-america-caribbean"),
    Country("SR", "Suriname", "latin-america-caribbean"),
    Country("TT", "Trinidad and Tobago", "latin-america-caribbean"),
    Country("UY", "Uruguay", "latin-america-caribbean"),
    Country("VE", "Venezuela (Bolivarian Republic of)", "latin-america-caribbean"),
)


TOPICS: tuple[Topic, ...] = (
    Topic(
        "chapter-ii-prevention",
        "Chapter II: Preventive measures",
        "Prevention under UNCAC: anti-corruption bodies, public service, codes of conduct, "
        "public reporting and the participation of society (Article 13).",
    ),
    Topic(
        "chapter-iii-criminalization-law-enforcement",
        "Chapter III: Criminalization and law enforcement",
        "Offences such as bribery, embezzlement and illicit enrichment, and how investigations "
        "and prosecutions work in practice.",
    ),
    Topic(
        "chapter-iv-international-cooperation",
        "Chapter IV: International cooperation",
        "Extradition, mutual legal assistance and cooperation between law-enforcement "
        "agencies across borders.",
    ),
    Topic(
        "chapter-v-asset-recovery",
        "Chapter V: Asset recovery",
        "Tracing, freezing, confiscating and returning the proceeds of corruption, and the "
        "role civil society can play.",
    ),
    Topic(
        "uncac-review-mechanism",
        "UNCAC Review Mechanism",
        "How country reviews work, how to take part in them and how CSOs prepare parallel "
        "input and follow up on findings.",
    ),
    Topic(
        "conference-of-states-parties",
        "Conference of the States Parties and IRG",
        "Taking part in the Conference of the States Parties, Implementation Review Group "
        "briefings and side events.",
    ),
    Topic(
        "whistleblower-protection",
        "Whistleblower and source protection",
        "Keeping people who report corruption safe: legal protection, secure handling of "
        "information and practical support.",
    ),
    Topic(
        "public-procurement",
        "Public procurement",
        "Monitoring tenders and contracts, spotting red flags and pushing for open contracting.",
    ),
    Topic(
        "access-to-information",
        "Access to information",
        "Using freedom-of-information laws and requests to obtain public data, and what to do "
        "when requests are refused.",
    ),
    Topic(
        "private-sector-smes",
        "Private sector and SMEs",
        "Working with businesses, especially small and medium enterprises, on integrity, "
        "including small-grant projects.",
    ),
    Topic(
        "sdg-16",
        "SDG 16: Peace, justice and strong institutions",
        "Linking anti-corruption work to the 2030 Agenda, in particular target 16.5 on "
        "reducing corruption and bribery.",
    ),
    Topic(
        "cso-experiences",
        "CSO experiences",
        "Case stories from organisations that engaged governments, businesses or communities: "
        "what worked and what did not.",
    ),
    Topic(
        "anti-corruption-day-campaigns",
        "International Anti-Corruption Day",
        "Ideas, materials and stories from campaigns and events around 9 December.",
    ),
    Topic(
        "capacity-building",
        "Training and capacity building",
        "Multi-stakeholder workshops, training on the Convention and ways to share "
        "skills between organisations.",
    ),
    Topic(
        "gender-and-corruption",
        "Gender and corruption",
        "How corruption affects women and men differently, and how gender-aware approaches "
        "strengthen anti-corruption work.",
    ),
)


MEMBERS: tuple[Member, ...] = (
    Member(
        "aminata.diallo@demo.example.org",
        "Aminata Diallo",
        "Réseau Citoyen pour l'Intégrité (demo)",
        "fr",
    ),
    Member(
        "jeanpaul.mukendi@demo.example.org",
        "Jean-Paul Mukendi",
        "Observatoire Communautaire de la Bonne Gouvernance (demo)",
        "fr",
    ),
    Member(
        "sofiane.benamor@demo.example.org",
        "Sofiane Ben Amor",
        "Collectif pour la Redevabilité Publique (demo)",
        "fr",
    ),
    Member(
        "kofi.mensah@demo.example.org",
        "Kofi Mensah",
        "Community Accountability Network (demo)",
        "en",
    ),
    Member(
        "priya.ramdin@demo.example.org",
        "Priya Ramdin",
        "Island Integrity Forum (demo)",
        "en",
    ),
    Member(
        "amra.hadzic@demo.example.org",
        "Amra Hadžić",
        "Citizens' Integrity Initiative (demo)",
        "en",
    ),
    Member(
        "nikola.petrovic@demo.example.org",
        "Nikola Petrović",
        "Open Contracts Watch (demo)",
        "en",
    ),
    Member(
        "maria.santos@demo.example.org",
        "Maria Clara Santos",
        "Bayanihan Transparency Collective (demo)",
        "en",
    ),
    Member(
        "dewi.lestari@demo.example.org",
        "Dewi Lestari",
        "Open Budget Lab (demo)",
        "en",
    ),
    Member(
        "lucia.fernandez@demo.example.org",
        "Lucía Fernández",
        "Women for Integrity Network (demo)",
        "en",
    ),
)


_AMINATA = "aminata.diallo@demo.example.org"
_JEANPAUL = "jeanpaul.mukendi@demo.example.org"
_SOFIANE = "sofiane.benamor@demo.example.org"
_KOFI = "kofi.mensah@demo.example.org"
_PRIYA = "priya.ramdin@demo.example.org"
_AMRA = "amra.hadzic@demo.example.org"
_NIKOLA = "nikola.petrovic@demo.example.org"
_MARIA = "maria.santos@demo.example.org"
_DEWI = "dewi.lestari@demo.example.org"
_LUCIA = "lucia.fernandez@demo.example.org"


THREADS: tuple[Thread, ...] = (
    # --- French threads -------------------------------------------------------------------
    Thread(
        region="africa",
        topic="capacity-building",
        countries=("SN",),
        title="Retour sur l'atelier multipartite de Saly : ce que nous en avons retenu",
        author=_AMINATA,
        body="""\
Bonjour à toutes et à tous,

Un nouveau collègue m'a demandé à quoi avait servi l'atelier multipartite sur la CNUCC et son
mécanisme d'examen, organisé à Saly en mai 2018. J'ai relu mes notes et je vous partage
l'essentiel, car beaucoup de points restent d'actualité.

**Ce qui a vraiment fonctionné**

- Réunir dans la même salle l'administration, les OSC et des représentants du secteur privé.
  Pour plusieurs d'entre nous, c'était la première discussion directe avec les personnes
  chargées de l'examen du pays, sans passer par un courrier officiel.
- Les exercices pratiques sur la liste de contrôle pour l'auto-évaluation : on comprend bien
  mieux ce qu'attendent les experts examinateurs quand on a essayé de remplir quelques
  articles soi-même.
- Les échanges pendant les pauses, qui ont créé des contacts que nous utilisons encore.

**Ce que je ferais autrement**

1. Préparer avant l'atelier une courte note sur la situation du pays, pour ne pas perdre la
   première demi-journée en présentations.
2. Fixer dès la clôture un calendrier de suivi avec le ministère concerné, même modeste.
3. Associer davantage les organisations qui travaillent loin de la capitale.

Pour celles et ceux qui découvrent le sujet, le texte de la
[CNUCC](https://www.unodc.org/unodc/en/corruption/uncac.html) et la page de
l'[équipe Société civile de l'ONUDC](https://www.unodc.org/cst) sont de bons points de départ.

Avez-vous participé à un atelier de ce type ? Qu'est-ce qui a concrètement changé ensuite
dans vos relations avec les autorités ?""",
        replies=(
            Reply(
                _JEANPAUL,
                """\
Merci Aminata, ce retour est précieux. Je n'étais pas à Saly, mais nous avons vécu quelque
chose de comparable lors d'un atelier national.

Ce qui me frappe dans ta liste, c'est le **suivi**. Sans calendrier précis, l'élan retombe en
quelques semaines. De notre côté, nous avons obtenu qu'un agent du ministère soit désigné
comme interlocuteur des OSC. Ce n'est pas spectaculaire, mais c'est grâce à lui que nous
avons connu à temps les dates de la visite de pays et pu envoyer une contribution écrite.

Je soutiens aussi ton troisième point : les organisations de province ont souvent les
exemples les plus concrets, et on les oublie trop facilement.""",
            ),
            Reply(
                _SOFIANE,
                """\
Très bon résumé. J'ajouterais une chose : désigner, au sein de la coalition nationale, une ou
deux personnes chargées de tenir à jour un tableau des engagements pris pendant l'atelier.
Chez nous, c'est ce document tout simple qui nous a permis, quelques mois plus tard, de
rappeler poliment à l'administration ce qui avait été convenu.

> Préparer avant l'atelier une courte note sur la situation du pays

Entièrement d'accord. Une page suffit si elle est précise : où en est le cycle d'examen,
quels interlocuteurs sont identifiés, deux ou trois priorités. Cela donne tout de suite un
ton plus professionnel aux échanges.""",
            ),
        ),
    ),
    Thread(
        region="africa",
        topic="private-sector-smes",
        countries=("CD",),
        title="Petites subventions et PME : s'inspirer du projet avec les conducteurs "
        "de moto-taxis",
        author=_JEANPAUL,
        body="""\
Chers collègues,

Le dispositif de petites subventions qui aide des OSC africaines à travailler avec le secteur
privé, et surtout avec les **petites et moyennes entreprises**, suscite beaucoup de questions
dans notre réseau. Je partage où nous en sommes.

L'exemple de l'Observatoire de lutte contre la corruption en Afrique centrale (OLCAC), cité
par l'ONUDC, nous a beaucoup inspirés. Avec une petite subvention, l'OLCAC a aidé les
conducteurs de moto-taxis à s'organiser en syndicat. Leur méthode combinait :

- des ateliers réunissant conducteurs, fonctionnaires et représentants de la police de la
  circulation ;
- des campagnes dans les journaux locaux pour faire connaître les droits des conducteurs ;
- un message simple : refuser de payer ce qui n'est pas dû, et savoir à qui s'adresser.

Nous voulons adapter cette approche aux petits commerçants d'un grand marché urbain. Les
premiers échanges montrent qu'ils sont prêts à parler des « frais » informels qu'on leur
réclame, à condition de **ne jamais être exposés individuellement**.

Mes questions :

1. Comment avez-vous présenté votre projet aux associations de PME pour qu'elles n'y voient
   pas une menace ?
2. Avez-vous réussi à associer les autorités locales sans perdre la confiance des
   entrepreneurs ?
3. Quels indicateurs simples utilisez-vous pour rendre compte au bailleur sans alourdir le
   travail de terrain ?

Merci d'avance pour vos retours !""",
        replies=(
            Reply(
                _AMINATA,
                """\
Bonjour Jean-Paul,

Sur ta première question : nous n'avons jamais parlé de « lutte contre la corruption » lors
des premières réunions avec les associations de commerçants. Nous avons parlé de **coûts**,
de temps perdu et de concurrence déloyale. Le mot « corruption » est venu d'eux-mêmes à la
deuxième séance.

Nous avons aussi proposé aux entreprises volontaires une courte charte de bonnes pratiques,
rédigée avec elles et non pour elles. L'article 12 de la
[CNUCC](https://www.unodc.org/unodc/en/corruption/uncac.html), consacré au secteur privé,
nous a servi d'appui pour montrer que l'État s'est lui aussi engagé sur ce terrain.

Pour les autorités locales, nous les avons invitées seulement une fois la confiance établie
avec les commerçants, et jamais aux séances où des cas concrets étaient évoqués.""",
            ),
            Reply(
                _SOFIANE,
                """\
Pour les indicateurs, je te conseille de rester modeste et vérifiable. Évite de promettre
une « baisse de la corruption » : tu ne pourras pas la mesurer sérieusement avec une petite
subvention. Nous suivions plutôt :

- le nombre de participants aux ateliers, par catégorie (commerçants, agents publics) ;
- le nombre de signalements reçus, anonymisés ;
- quelques **récits de changement** courts, recueillis à la fin du projet.

Les bailleurs apprécient souvent ces récits davantage que les chiffres, à condition qu'ils
soient précis et qu'ils ne permettent pas d'identifier les personnes.""",
            ),
        ),
    ),
    Thread(
        region="global",
        topic="anti-corruption-day-campaigns",
        countries=(),
        title="Journée internationale de lutte contre la corruption : vos idées à petit budget ?",
        author=_AMINATA,
        body="""\
Bonjour à tous,

Le 9 décembre approche et, comme chaque année, l'ONUDC et le PNUD lancent une campagne commune
qui montre comment la corruption freine la réalisation des objectifs de développement
durable. Les supports sont disponibles sur le site de la
[Journée internationale](https://www.anticorruptionday.org) et peuvent être adaptés.

Notre budget est très limité cette année. Voici ce que nous envisageons :

- une émission de radio communautaire en langues locales avec un juriste ;
- un concours d'affiches dans deux lycées ;
- une « journée portes ouvertes » à la mairie, si elle accepte de présenter son budget.

Ce qui nous manque surtout, ce sont des idées pour toucher **les jeunes qui ne s'intéressent
pas aux institutions**, et pour que l'événement ait une suite au-delà du 9 décembre.

Qu'avez-vous organisé les années précédentes ? Qu'est-ce qui a bien marché, et qu'est-ce que
vous ne referiez pas ?""",
        replies=(
            Reply(
                _JEANPAUL,
                """\
L'an dernier, nous avons essayé le **théâtre-forum** sur un marché : une courte scène montre
un agent qui réclame un pot-de-vin, puis le public est invité à monter sur scène pour jouer
une autre fin. Les jeunes ont adoré, et la discussion a duré bien plus longtemps que prévu.

Coût très faible : une troupe locale, un micro, une autorisation municipale.

Pour la suite, nous avions recueilli les numéros de téléphone des volontaires (avec leur
accord) et nous les avons invités un mois plus tard à une formation sur l'accès à
l'information. Une dizaine sont restés actifs dans notre réseau.""",
            ),
            Reply(
                _SOFIANE,
                """\
Bonne idée, la journée portes ouvertes à la mairie. Nous l'avons fait sous une autre forme :
un atelier public où l'on présente le budget municipal avec des graphiques très simples, puis
une séance de questions. Astuce : envoyer les questions à la mairie **une semaine avant**,
pour éviter les réponses évasives le jour même.

> pour que l'événement ait une suite au-delà du 9 décembre

Le plus efficace chez nous a été de terminer par un engagement écrit et daté de la mairie,
même très modeste, que nous avons ensuite suivi publiquement sur nos réseaux sociaux.""",
            ),
        ),
    ),
    Thread(
        region="middle-east-north-africa",
        topic="chapter-ii-prevention",
        countries=("TN",),
        title="Article 13 de la CNUCC : comment obtenir une vraie place dans les consultations ?",
        author=_SOFIANE,
        body="""\
Bonjour,

L'article 13 de la [CNUCC](https://www.unodc.org/unodc/en/corruption/uncac.html) demande aux
États de renforcer la transparence, de favoriser la **participation de la société civile**
aux processus de décision et de garantir l'accès du public à l'information. Sur le papier,
c'est clair. Dans la pratique, nous rencontrons souvent les mêmes difficultés :

- des consultations annoncées quelques jours seulement avant la date limite ;
- des projets de texte communiqués sans exposé des motifs ;
- aucun retour sur ce qui a été retenu, ou non, de nos contributions.

Ces derniers mois, nous avons essayé plusieurs choses :

1. demander par écrit le calendrier prévisionnel des textes en préparation ;
2. rédiger des contributions communes à plusieurs associations, plus difficiles à ignorer ;
3. publier nos propositions en même temps que nous les envoyons.

Les résultats sont inégaux. Comment faites-vous pour passer d'une consultation de façade à
une participation réelle ? Avez-vous obtenu des règles écrites (délais minimaux, obligation
de réponse motivée) ?""",
        replies=(
            Reply(
                _AMINATA,
                """\
Bonjour Sofiane,

Ce qui a le mieux marché pour nous, c'est de proposer nous-mêmes une **procédure type de
consultation** : délai minimal, publication des contributions reçues, courte note expliquant
les choix retenus. Nous l'avons présentée comme un outil pour aider l'administration, pas
comme une critique.

Elle n'a pas été adoptée telle quelle, mais deux ministères l'appliquent désormais de fait.
Ton point 3 est important aussi : publier nos propositions nous protège quand on nous reproche
ensuite de « ne pas avoir participé ».""",
            ),
            Reply(
                _JEANPAUL,
                """\
Je rejoins Aminata. J'ajoute un argument qui porte souvent auprès des fonctionnaires :
l'examen de l'application de la Convention, dans son deuxième cycle, porte justement sur le
chapitre II, donc sur l'article 13. Montrer que des consultations sérieuses seront un point
positif lors de l'examen du pays peut débloquer certaines réticences.

Gardez aussi une trace écrite de chaque consultation (dates, délais, suites données). Au
bout d'un an, ce tableau devient une contribution très solide pour l'examen.""",
            ),
        ),
    ),
    Thread(
        region="africa",
        topic="whistleblower-protection",
        countries=("CD",),
        title="Une source nous signale des détournements dans une régie locale : "
        "comment la protéger ?",
        author=_JEANPAUL,
        body="""\
Bonjour à tous,

Une employée d'une régie municipale nous a contactés. Elle dispose de documents qui semblent
montrer des paiements irréguliers à une entreprise proche d'un élu. Elle a peur, à juste
titre : si son identité est connue, elle perdra au minimum son emploi.

Nous ne savons pas vraiment sur quel cadre juridique compter chez nous pour la protéger, et
nous voulons surtout **ne pas lui nuire par maladresse**. Mes questions :

1. Comment communiquer avec elle sans laisser de traces évidentes ?
2. Comment conserver les documents (papier et numériques) en sécurité ?
3. À quel moment faut-il saisir les autorités ou les médias, et qui décide ?

Je sais que la CNUCC parle de la protection des personnes qui communiquent des informations
(article 33), mais je cherche surtout des conseils pratiques de personnes qui ont vécu ce
genre de situation.

Merci de ne pas citer de noms ni de lieux dans vos réponses.""",
        replies=(
            Reply(
                _AMINATA,
                """\
Bonjour Jean-Paul, quelques réflexes qui nous ont servi :

- **Un seul interlocuteur** dans ton organisation, et le moins de personnes possible au
  courant.
- Une messagerie chiffrée avec messages éphémères, sur un téléphone qui n'est pas celui de
  son travail. Jamais de courriel professionnel, jamais de réseau wifi de la régie.
- Pour les documents numériques, supprimer les métadonnées avant tout partage ; pour le
  papier, faire des copies plutôt que de garder des originaux qui pourraient être tracés.
- Stocker les fichiers chiffrés, hors des locaux, et noter qui y a accès.

Surtout, demande-lui régulièrement ce qu'elle accepte ou non. C'est **sa** sécurité, et
elle doit garder la main sur les décisions.""",
            ),
            Reply(
                _SOFIANE,
                """\
Je complète sur ta troisième question. Avant toute publication ou plainte, nous faisons une
petite évaluation des risques avec la personne : qui pourrait deviner qu'elle est la source,
au vu des documents eux-mêmes ? Parfois, un seul détail suffit à l'identifier.

Ensuite, essayez de **corroborer** les informations par des sources publiques (budgets,
registres d'entreprises, marchés publics). Si l'affaire peut être documentée sans ses
pièces, elle est beaucoup mieux protégée.

Enfin, prenez contact discrètement avec un avocat de confiance ou un réseau régional d'OSC
qui a déjà accompagné des lanceurs d'alerte. Il ne faut pas rester seuls avec ce dossier.""",
            ),
        ),
    ),
    # --- English threads ------------------------------------------------------------------
    Thread(
        region="africa",
        topic="conference-of-states-parties",
        countries=("MU",),
        title="Government-CSO pairing at the CoSP: notes from the Mauritius and Bosnia and "
        "Herzegovina side event",
        author=_PRIYA,
        body="""\
Several members asked about the side event at the **seventh Conference of the States
Parties** where government and civil society pairs from Mauritius and Bosnia and Herzegovina
talked about working together on the Convention and its review. A few notes from our side.

The Civil Society Network Against Corruption (CSNAC) explained how training on the
Convention changed the way it engaged. Once members understood what the review actually
looks at, they could give the review team a structured picture of how civil society sees
implementation in Mauritius: the concerns, but also what was working. Later, CSNAC helped
prepare a **civil society self-assessment checklist** for the second review cycle.

What I took away:

- A pairing is not a joint press release. Both sides kept their own voice, and that is
  what made it credible.
- The trust came from months of small, practical contacts before the Conference, not from
  the event itself.
- Presenting together in an international setting made it easier for officials to defend
  the partnership at home.

The UNODC [Civil Society Team](https://www.unodc.org/cst) helps CSOs attend the Conference
and organises briefings alongside the Implementation Review Group, which is how many of us
first got into those rooms.

Has anyone tried to set up a similar pairing? What made your government agree, or refuse?""",
        replies=(
            Reply(
                _AMRA,
                """\
Thanks for writing this up, Priya. From the Bosnia and Herzegovina side, I would underline
your second point. The relationship with the Agency for the Prevention of Corruption and
the Coordination of the Fight against Corruption did not start at the Conference. It grew
out of a regional workshop and many follow-up meetings where CSOs were treated as people
with useful knowledge rather than as critics to be managed.

One practical tip: agree beforehand on what each side will say and where you disagree. It
avoids surprises on stage and, oddly, makes the disagreements sound more constructive.""",
            ),
            Reply(
                _KOFI,
                """\
Very useful. Our problem is the step before: our review focal point is friendly in private
but will not commit to anything public.

> The trust came from months of small, practical contacts

That matches what I hear. We are now trying to offer something concrete first, for example
helping the ministry collect examples of good practice for the self-assessment, before
proposing anything visible like a joint event.

Did the Civil Society Team help with introductions, or did you approach your government
directly?""",
            ),
            Reply(
                _AMRA,
                """\
@Kofi, in our case it was both. The briefings around the Implementation Review Group were
where we first met some officials informally, which made the later direct approach much
easier. But the decisive meetings happened at home, through the institutions themselves.

Offering help with the self-assessment is a good entry point. Just keep a record of what
you contribute, so that your input is visible later even if the partnership stays quiet
for a while.""",
            ),
        ),
    ),
    Thread(
        region="africa",
        topic="sdg-16",
        countries=("GH",),
        title="Localising SDG target 16.5 in district assemblies: linking UNCAC work to "
        "the 2030 Agenda",
        author=_KOFI,
        body="""\
Hello everyone,

We are running a series of community meetings with district assemblies on **SDG 16**, and
especially [target 16.5](https://sdgs.un.org/goals/goal16), which asks countries to
substantially reduce corruption and bribery in all their forms.

Our reasoning is simple: the national conversation about the Convention happens in the
capital, but people experience corruption at the clinic, the land office and the school.
Civil society is well placed to bring the SDGs down to that level, through decision-making
that is participatory and representative.

What we do in each district:

- a short, plain-language session on what the state has committed to under the
  [UNCAC](https://www.unodc.org/unodc/en/corruption/uncac.html) and the SDGs;
- a mapping exercise where residents list the services where they are most often asked
  for informal payments;
- a follow-up meeting with assembly members to agree on **one or two concrete fixes**, such
  as posting official fees at service points.

Where we struggle is connecting this local work back to national reporting. Has anyone
managed to feed community findings into their country's voluntary national review on the
SDGs, or into the UNCAC review?""",
        replies=(
            Reply(
                _PRIYA,
                """\
Kofi, this is exactly the kind of evidence review teams rarely get. For the UNCAC review,
we summarised our community findings article by article, so an official or expert could
see at once which provision they related to (public reporting, participation of society,
and so on). A two-page annex was enough.

For the SDG side, find out which office coordinates the voluntary national review and ask
early whether they hold stakeholder consultations. They often do, but late and in a rush.""",
            ),
            Reply(
                _LUCIA,
                """\
I like the idea of posting official fees. It is cheap, visible and easy to check, which
makes it a good first commitment.

One suggestion from our work: break down the mapping by gender. Women and men are often
asked for different kinds of payments, and sometimes not for money at all. If you do not
ask, those cases disappear from the data, and the fixes you agree on may miss half of the
problem.""",
            ),
            Reply(
                _DEWI,
                """\
We had the same gap between village-level work and national reports. What helped was
agreeing with three other organisations on a **common short format** for findings (place,
service, type of request, date, source type) so that our results could be added together.

Individually, each group's data was too small to be taken seriously. Combined, it became
a credible picture we could bring to the national consultation.""",
            ),
        ),
    ),
    Thread(
        region="south-east-europe",
        topic="cso-experiences",
        countries=("BA",),
        title="From a Sarajevo workshop to a seat in the country review: what changed for CSOs",
        author=_AMRA,
        body="""\
Newer members keep asking how civil society in Bosnia and Herzegovina ended up inside the
UNCAC review rather than commenting from outside, so here is the short version as I saw it.

In **September 2017**, Sarajevo hosted the region's first multi-stakeholder training on
UNCAC and how countries are reviewed under it. Roughly 60 participants came from across
South-East Europe: CSO staff, officials and people from business, all working through the
review process side by side.

The atmosphere was unusually open. One concrete result: government counterparts invited
**Transparency International Bosnia** to take a full part in the country's review, not just
to send comments.

Lessons I would pass on:

1. Go to these workshops with specific questions about your own country's review: the
   timeline, who the focal point is, which articles are under review.
2. Treat officials as colleagues during the training. Many of them are as new to the
   process as we are.
3. After the workshop, propose one small joint task straight away. Momentum fades fast.

> Participation is built before the review starts, not during it.

That is the sentence I repeat most to colleagues elsewhere in the region. Has anyone in
Serbia, Albania, Montenegro or North Macedonia had a similar experience, or the opposite?""",
        replies=(
            Reply(
                _NIKOLA,
                """\
Thanks, Amra. In Serbia our experience was more mixed. Contacts made at regional events
were very useful, but they depended on individuals: when the official we worked with moved
to another post, we had to start again almost from zero.

What we learned is to ask for the arrangement to be **written down**, even in a simple
email from the institution confirming that CSOs will be consulted at specific stages. It
sounds bureaucratic, but it survives staff changes.""",
            ),
            Reply(
                _PRIYA,
                """\
Your third lesson matches our experience in Mauritius almost exactly. The organisations
that benefited most from training were those that immediately offered to help with
something concrete, like preparing input for the self-assessment.

It is also striking how similar the challenges are in very different contexts. That is
probably the best argument for keeping cross-regional discussions like this one going.""",
            ),
        ),
    ),
    Thread(
        region="south-east-europe",
        topic="public-procurement",
        countries=("RS",),
        title="Monitoring a municipal heating tender: red flags and how we documented them",
        author=_NIKOLA,
        body="""\
Over the past year we followed a municipal tender for the renovation of a district heating
network, from the procurement plan to contract execution. Sharing our method in case it is
useful, and because I would like feedback on one problem (see the end).

**How we worked**

- Downloaded every document from the public procurement portal and kept dated copies,
  because documents can be changed after publication.
- Built a simple timeline: plan, call, clarifications, bids, award, contract, annexes.
- Sent access-to-information requests for what was not published, such as the evaluation
  committee's minutes.

**Red flags we found**

- A bidding period close to the legal minimum, despite a complex technical scope.
- Technical specifications that seemed written around one supplier's equipment.
- A single bid received, from a company that had won similar contracts before.
- Contract annexes after signature that increased the value and extended deadlines.

None of these proves corruption on its own. Together, they justified a closer look. We sent
our findings to the contracting authority and to the procurement oversight body, and
referred to Article 9 of the [UNCAC](https://www.unodc.org/unodc/en/corruption/uncac.html),
which asks for procurement systems based on transparency, competition and objective
criteria. A small win: the next tender was published with a longer bidding period.

**My question:** how do you present findings like these publicly without exposing your
organisation to defamation claims?""",
        replies=(
            Reply(
                _AMRA,
                """\
We faced the same question in Bosnia and Herzegovina. What protects us:

- We speak of **risk indicators**, never of corruption, unless a court has ruled.
- Every statement in the report links to a public document or an official reply.
- Before publishing, we send the contracting authority our findings and give it time to
  respond, then publish its answer alongside ours.

The right of reply step costs time, but it has saved us more than once, and institutions
sometimes correct a fact we had wrong.""",
            ),
            Reply(
                _MARIA,
                """\
Great method. In the Philippines, our procurement law allows observers from civil society
to sit in the sessions of a bids and awards committee. Being in the room changes a lot: you
see the clarifications and the disqualifications as they happen.

Even where there is no formal observer role, it may be worth asking for it as a pilot for
large contracts. The worst answer is no, and the request itself goes on the record.""",
            ),
            Reply(
                _KOFI,
                """\
Could you share your timeline template? We monitor road contracts in a few districts and
we keep losing track of annexes, which is exactly where the money moves after the award.

On defamation: we also have a lawyer read every report before publication. It is a small
cost compared with a lawsuit, and it forces us to be precise.""",
            ),
        ),
    ),
    Thread(
        region="south-east-asia",
        topic="uncac-review-mechanism",
        countries=("ID",),
        title="Preparing a parallel report for our country's UNCAC review: where do we start?",
        author=_DEWI,
        body="""\
Hi all,

Our coalition wants to prepare a **parallel report** for our country's review under the
UNCAC Review Mechanism. The second review cycle covers Chapter II (preventive measures) and
Chapter V (asset recovery), which is a lot of ground for a small team.

We know the review mechanism was set up by resolution 3/1 of the Conference of the States
Parties in 2009, and that the resolution encourages governments to consult civil society
and the private sector. In practice, we do not know:

1. **Timing** - when is input most useful: before the self-assessment, around the country
   visit, or after the executive summary?
2. **Scope** - should we cover every article, or focus on a few where we have evidence?
3. **Format** - is there a structure reviewers find easier to use?
4. **Relations** - should we share a draft with the government focal point first?

Any templates or examples would be very welcome. The text of the
[UNCAC](https://www.unodc.org/unodc/en/corruption/uncac.html) is our starting point, of
course.""",
        replies=(
            Reply(
                _AMRA,
                """\
Start with timing: find out who the focal point is and ask for the review calendar. The
most useful moments are **before the self-assessment is submitted**, while the government
can still include your input, and **during the country visit**, when the reviewing experts
can meet CSOs.

The [UNCAC Coalition](https://uncaccoalition.org), a global network of CSOs created in
2006 to push for the Convention to be ratified, applied and monitored, has guidance
and examples of parallel reports. Reading two or three of them will save you weeks.""",
            ),
            Reply(
                _PRIYA,
                """\
On format: structure the report by article, following the same order as the
self-assessment checklist. For each article, say briefly what the law provides, what
happens in practice, your evidence, and one or two recommendations.

Reviewers work under time pressure, so a document that maps onto their own structure is
far more likely to be used. We learned this while contributing to a civil society
checklist for the second cycle.""",
            ),
            Reply(
                _MARIA,
                """\
On scope, focus. A report that covers ten articles well is worth much more than one that
touches all of them superficially. Choose where you have **real evidence**: your own
monitoring, access-to-information replies, court cases, budget data.

Also, divide the work across your coalition by article, with one editor keeping the tone
consistent. Otherwise you end up with five reports stapled together.""",
            ),
            Reply(
                _NIKOLA,
                """\
On relations: we shared a summary, not the full draft, with the focal point before the
country visit. It kept goodwill without giving anyone the chance to water it down.

And plan for after the review. The executive summary is published, so use its
recommendations as your advocacy agenda for the following years. That is where the real
impact of a parallel report shows.""",
            ),
        ),
    ),
    Thread(
        region="south-east-asia",
        topic="access-to-information",
        countries=("PH",),
        title="Access-to-information requests on school building funds: tips for getting "
        "real answers?",
        author=_MARIA,
        body="""\
Hello everyone,

We are tracking funds for classroom construction in several provinces. Our main tool is the
freedom-of-information order that covers the executive branch, and the online request
portal that goes with it.

Results so far are frustrating:

- some requests are answered with a link to a general website that does not contain the
  data we asked for;
- others are refused as "too broad", even when we name a specific programme and year;
- a few simply pass the deadline without any response.

**Article 13** of the [UNCAC](https://www.unodc.org/unodc/en/corruption/uncac.html) asks
states to ensure effective public access to information, and we cite it in our requests,
but that does not seem to change much at the desk level.

How do colleagues in the region word their requests? And what do you do when an agency
does not answer at all?""",
        replies=(
            Reply(
                _DEWI,
                """\
In Indonesia we use the public information disclosure law, and the key for us is the
**appeal route**. When an agency refuses or ignores a request, we file an objection with
the agency and then, if needed, a dispute with the information commission. Many agencies
release the documents as soon as a dispute is filed.

Whatever your system allows, keep a clean file for each request: the exact text, dates,
receipts and replies. It is your evidence if you escalate.""",
            ),
            Reply(
                _NIKOLA,
                """\
Ask for **documents**, not answers. "Please provide the contract and all annexes for
project X in year Y" is much harder to refuse than "How much was spent on classrooms?"

Two more habits that work for us:

- Split large requests into several small, precise ones.
- When you get a link instead of data, reply politely, quote the part of your request that
  was not answered and ask again. It builds a paper trail that shows bad faith if it
  continues.""",
            ),
            Reply(
                _LUCIA,
                """\
Something that helped us: before filing, find the document's official name. Budget
execution reports, tender files and monitoring reports have specific titles in each agency,
and using the right name removes the "too broad" excuse.

Retired officials and friendly staff are often willing to tell you what a document is
called, even if they cannot give it to you.""",
            ),
        ),
    ),
    Thread(
        region="latin-america-caribbean",
        topic="gender-and-corruption",
        countries=("AR",),
        title="Gender and corruption: lessons from an Anti-Corruption Day workshop in Argentina",
        author=_LUCIA,
        body="""\
Hi all,

I want to share an experience from International Anti-Corruption Day in Argentina that
shaped how our network works.

The Women in Equality Foundation co-organised a workshop called *Towards the IV
International Forum of Women Against Corruption*. More than 25 experts took part, from
government and from civil society. The idea was to get officials and business people
talking to each other about how to **break the chain of corruption**.

What stayed with us:

- Corruption is not gender-neutral. When women are asked for payments to access health
  care, justice or social programmes, the "payment" is sometimes not money, and those
  cases are rarely reported.
- Prosecutors and CSOs need each other: one has the legal tools, the other has the trust
  of the people affected.
- Citizens need practical public tools to defend their rights, not only new laws.

Since then, we include a gender question in every monitoring project, and we invite
officials who work on gender violence to our anti-corruption events.

Is anyone else working at this intersection? I would be glad to compare methods, especially
on how to document cases safely.""",
        replies=(
            Reply(
                _MARIA,
                """\
Thank you, Lucía. We saw the same pattern in community monitoring of social programmes:
women were more likely to describe "favours" being asked in exchange for being kept on
beneficiary lists, but only in women-only groups with a facilitator they trusted.

For documentation, we record cases without names and store them separately from any
contact details. And we agreed in advance with a local women's organisation where to refer
people who need support, so we are not just collecting stories.""",
            ),
            Reply(
                _KOFI,
                """\
This is a gap in our work too. Our district mappings so far have not separated responses
by gender, so we have probably missed exactly the cases you describe.

Would you be willing to share the questions you add to your monitoring tools? Even a short
list would help us adapt our next round of community meetings, and I am sure others here
would use it as well.""",
            ),
        ),
    ),
    Thread(
        region="global",
        topic="chapter-v-asset-recovery",
        countries=(),
        title="Asset recovery under Chapter V: where can CSOs add value without becoming "
        "investigators?",
        author=_NIKOLA,
        body="""\
Chapter V of the [UNCAC](https://www.unodc.org/unodc/en/corruption/uncac.html) makes the
return of assets a fundamental principle of the Convention, and it is reviewed in the
second review cycle. Yet many CSOs I talk to feel this topic belongs to prosecutors, banks and
lawyers, far from what we can do.

I think there is more room for us than we assume, for example:

- **Monitoring** what happens to assets once they are returned, so they do not disappear a
  second time;
- pushing for **public registers of beneficial ownership**, which make hidden assets
  easier to trace;
- documenting the harm caused by grand corruption, so that victims are not forgotten when
  assets are returned;
- commenting on Chapter V in parallel reports for country reviews.

At the same time, I am wary of CSOs doing their own financial investigations without the
skills or legal protection to do so safely.

Where do you draw the line? Has anyone been involved in monitoring returned assets?""",
        replies=(
            Reply(
                _KOFI,
                """\
I agree with your line. We do not investigate individuals, but we follow **what happens
next**: when recovered funds are allocated to public projects, we monitor those projects
like any other spending, with site visits and budget tracking.

It is familiar work for us, and it answers the question citizens actually ask: did the
money come back to us, or did it just move to other pockets?""",
            ),
            Reply(
                _LUCIA,
                """\
One addition: Chapter V is also about prevention, through measures on money laundering and
the monitoring of financial flows. CSOs can look at whether banks and other institutions
actually apply enhanced checks to politically exposed persons, using public information
such as supervisory reports and sanctions.

That keeps us in an advocacy role, not an investigative one, while still putting pressure
where the assets move.""",
            ),
            Reply(
                _DEWI,
                """\
For our parallel report, we treated Chapter V modestly: two articles, with evidence from
public court records and official statements on recovered assets. Reviewers seemed to
appreciate an honest, narrow contribution more than broad claims we could not support.

I would add training to your list. Many of us need a basic understanding of how asset
tracing works before we can ask the right questions of officials.""",
            ),
        ),
    ),
)


@dataclass(frozen=True)
class Organisation:
    """A fictional CSO profile; `members` are (Member.email, role, shown)."""

    slug: str
    name: str
    country: str
    kind: str
    description: str
    topics: tuple[str, ...]
    uncac_articles: tuple[int, ...]
    languages: tuple[str, ...]
    website: str | None = None
    email: str | None = None
    email_visibility: str = "members"
    phone: str | None = None
    phone_visibility: str = "private"
    verified: bool = False
    activities: tuple[tuple[str, str, str | None], ...] = ()  # title, started, ended
    members: tuple[tuple[str, str, bool], ...] = ()


ORGANISATIONS: tuple[Organisation, ...] = (
    Organisation(
        "reseau-citoyen-integrite",
        "Réseau Citoyen pour l'Intégrité (demo)",
        "SN",
        "network",
        "Un réseau national d'associations qui suit la mise en œuvre de la CNUCC au Sénégal "
        "et prépare la participation de la société civile aux examens de pays.",
        ("uncac-review-mechanism", "capacity-building"),
        (5, 13),
        ("fr", "wo"),
        website="https://reseau-integrite.example.org",
        email="contact@reseau-integrite.example.org",
        email_visibility="public",
        phone="+221 33 000 0001",
        verified=True,
        activities=(
            ("Liste d'auto-évaluation de la société civile (2e cycle)", "2022-02-01", "2023-06-30"),
            ("Ateliers régionaux sur l'article 13", "2024-01-15", None),
        ),
        members=((_AMINATA, "representative", True),),
    ),
    Organisation(
        "observatoire-bonne-gouvernance",
        "Observatoire Communautaire de la Bonne Gouvernance (demo)",
        "CD",
        "community",
        "Une organisation communautaire de Kinshasa qui aide les conducteurs de moto-taxis "
        "à s'organiser et à refuser de payer des pots-de-vin.",
        ("private-sector-smes", "cso-experiences"),
        (12, 15),
        ("fr", "ln"),
        phone="+243 800 000 002",
        phone_visibility="members",
        activities=(("Comités de moto-taxis contre la corruption", "2021-09-01", None),),
        members=((_JEANPAUL, "representative", True),),
    ),
    Organisation(
        "community-accountability-network",
        "Community Accountability Network (demo)",
        "GH",
        "ngo",
        "Community monitoring of public works and procurement in northern Ghana.",
        ("public-procurement", "access-to-information"),
        (9, 10),
        ("en",),
        website="https://can-ghana.example.org",
        email="office@can-ghana.example.org",
        verified=True,
        members=((_KOFI, "representative", True), (_PRIYA, "member", False)),
    ),
    Organisation(
        "citizens-integrity-initiative",
        "Citizens' Integrity Initiative (demo)",
        "BA",
        "ngo",
        "Follows Bosnia and Herzegovina's UNCAC review and the work of anti-corruption "
        "agencies; invited by the government to take a full part in the review.",
        ("uncac-review-mechanism", "chapter-ii-prevention"),
        (6, 36),
        ("bs", "en"),
        activities=(("Shadow report on the second review cycle", "2019-03-01", "2020-12-31"),),
        members=((_AMRA, "representative", True), (_NIKOLA, "member", True)),
    ),
    Organisation(
        "bayanihan-transparency-collective",
        "Bayanihan Transparency Collective (demo)",
        "PH",
        "network",
        "A collective of community groups and journalists working on access to information "
        "and budget transparency in the Philippines.",
        ("access-to-information", "whistleblower-protection"),
        (10, 13, 33),
        ("en", "tl"),
        members=((_MARIA, "representative", True), (_DEWI, "member", False)),
    ),
    Organisation(
        "women-for-integrity-network",
        "Women for Integrity Network (demo)",
        "AR",
        "ngo",
        "Una red de mujeres que organiza talleres del Día Internacional contra la Corrupción "
        "con gobierno y sociedad civil.",
        ("gender-and-corruption", "anti-corruption-day-campaigns"),
        (13,),
        ("es", "en"),
        email="hola@mujeres-integridad.example.org",
        email_visibility="members",
        activities=(("Taller del 9 de diciembre", "2023-12-09", "2023-12-09"),),
        members=((_LUCIA, "representative", True),),
    ),
)


@dataclass(frozen=True)
class Experience:
    """A fictional case story told by `author` (a Member.email) of `organisation` (a slug),
    written from situations in the UNODC leaflet; `threads` are title beginnings of demo
    threads it links to."""

    organisation: str
    author: str
    title: str
    language: str
    year: int
    countries: tuple[str, ...]
    topics: tuple[str, ...]
    uncac_articles: tuple[int, ...]
    context: str
    action: str
    obstacles: str
    outcome: str
    lessons: str
    threads: tuple[str, ...] = ()


EXPERIENCES: tuple[Experience, ...] = (
    Experience(
        "observatoire-bonne-gouvernance",
        _JEANPAUL,
        "Motorcycle-taxi drivers in Kinshasa learn to say no to roadside bribes",
        "en",
        2019,
        ("CD",),
        ("private-sector-smes", "cso-experiences"),
        (12, 15),
        context="Motorcycle-taxi drivers are small businesses of one. Most of them paid a "
        "few thousand francs at checkpoints every day, often without knowing which papers "
        "the law actually asks of them, and had no one to speak for them.",
        action="With a **small grant** for work with small enterprises we ran workshops "
        "that put drivers, traffic police and city officials in the same room. Drivers "
        "learnt which documents are required and what a lawful check looks like; we also "
        "ran a campaign in two local newspapers and helped drivers set up a union.",
        obstacles="Some officers saw the workshops as an accusation and stayed away at "
        "first. Drivers feared reprisals when they refused to pay, and the grant was too "
        "short to accompany the union through its registration.",
        outcome="Drivers who attended now carry a one-page card listing their rights, and "
        "several groups refuse together rather than alone. The union is being formed and "
        "asks for continued support.",
        lessons="- Invite the police from the start, as participants, not as defendants.\n"
        "- A union gives drivers the safety in numbers a single driver does not have.\n"
        "- Plan the follow-up before the grant ends.",
        threads=("Petites subventions et PME",),
    ),
    Experience(
        "reseau-citoyen-integrite",
        _AMINATA,
        "Drafting a civil-society self-assessment checklist for the second review cycle",
        "en",
        2022,
        ("SN",),
        ("uncac-review-mechanism", "capacity-building"),
        (5, 13),
        context="Our country's second UNCAC review covered prevention and asset recovery. "
        "The government filled in its self-assessment checklist, but civil society had no "
        "structured way to give its own view to the reviewers.",
        action="After a training on the Convention and its review mechanism, our network "
        "collected the views of member associations, met the review team during the country "
        "visit, and helped draft a **civil-society self-assessment checklist** that follows "
        "the official one article by article.",
        obstacles="Members had very different levels of knowledge of the Convention, and "
        "the timetable of the review left only a few weeks to consult.",
        outcome="The reviewers received the concerns and the good practices civil society "
        "saw, in a format they could compare with the government's answers.",
        lessons="Start from the official checklist: reviewers read a parallel answer to the "
        "same questions far more easily than a separate report.",
        threads=("Retour sur l'atelier multipartite de Saly",),
    ),
    Experience(
        "citizens-integrity-initiative",
        _AMRA,
        "Invited to take a full part in our country's review after a regional workshop",
        "en",
        2017,
        ("BA",),
        ("uncac-review-mechanism", "chapter-ii-prevention"),
        (6, 36),
        context="Before 2017 civil society in our country followed the UNCAC review from "
        "outside: we learnt of the country visit after it had happened.",
        action="We took part in the first multi-stakeholder workshop on the Convention held "
        "in our region, with about sixty people from civil society, governments and "
        "businesses. We used the working groups to explain to officials what we could "
        "bring to the review and kept in touch with them afterwards.",
        obstacles="Trust had to be built on both sides: some officials feared a shadow "
        "report written only to criticise, and some of our partners feared being used.",
        outcome="The government invited us to take a **full part** in the country review: "
        "we were consulted on the self-assessment and met the reviewers during the visit.",
        lessons="A workshop where officials and activists work on the same exercises does "
        "more for cooperation than any number of open letters.",
        threads=("From a Sarajevo workshop to a seat in the country review",),
    ),
    Experience(
        "women-for-integrity-network",
        _LUCIA,
        "An Anti-Corruption Day workshop that brought officials and CSOs to one table",
        "en",
        2023,
        ("AR",),
        ("gender-and-corruption", "anti-corruption-day-campaigns"),
        (13,),
        context="Women are hit hard by everyday corruption (in health, in schools, in "
        "justice) but are seldom asked how to fight it.",
        action="For International Anti-Corruption Day on 9 December we co-organised a "
        "workshop with more than twenty-five experts from government and civil society, "
        "as a step towards an international forum of women against corruption.",
        obstacles="Finding a date when prosecutors, ministries and grassroots groups could "
        "all come, and keeping the discussion concrete rather than ceremonial.",
        outcome="Public officials and CSOs opened a dialogue that continued after the day, "
        "and a prosecutor's unit on gender violence agreed to keep working with us.",
        lessons="Give every participant a concrete case to discuss: shared cases break the "
        "ice between sectors faster than speeches.",
        threads=("Gender and corruption: lessons from an Anti-Corruption Day",),
    ),
    Experience(
        "reseau-citoyen-integrite",
        _AMINATA,
        "Ateliers régionaux sur l'article 13 : faire entendre les associations de province",
        "fr",
        2024,
        ("SN",),
        ("capacity-building", "uncac-review-mechanism"),
        (13,),
        context="Les consultations sur la lutte contre la corruption se tenaient presque "
        "toujours à Dakar. Les associations des régions n'y étaient pas et leurs constats "
        "ne remontaient pas.",
        action="Nous avons organisé des **ateliers d'une journée** dans quatre régions : "
        "présentation de l'article 13 de la Convention, puis travail en petits groupes sur "
        "les cas de corruption que les participants rencontrent réellement.",
        obstacles="Le transport coûte cher et certains élus locaux voyaient mal que des "
        "associations parlent de corruption devant des fonctionnaires.",
        outcome="Une trentaine d'associations ont rejoint le réseau et leurs constats "
        "figurent désormais dans nos contributions aux consultations nationales.",
        lessons="Aller vers les associations coûte moins cher que de les faire venir, et "
        "elles parlent plus librement chez elles.",
        threads=("Article 13 de la CNUCC",),
    ),
    Experience(
        "women-for-integrity-network",
        _LUCIA,
        "Compras municipales con perspectiva de género: un seguimiento ciudadano",
        "es",
        2024,
        ("AR",),
        ("public-procurement", "gender-and-corruption"),
        (9, 13),
        context="En nuestro municipio, los contratos de comedores escolares se adjudicaban "
        "siempre a las mismas empresas y las madres que los usaban no tenían cómo opinar.",
        action="Formamos a un grupo de vecinas para leer los pliegos publicados, pedir "
        "información pública y anotar en una planilla común las señales de alerta: plazos "
        "muy cortos, un solo oferente, cambios de precio después de la adjudicación.",
        obstacles="Los pedidos de información tardaban meses y algunas participantes "
        "recibieron presiones de funcionarios de su barrio.",
        outcome="El municipio publica ahora los contratos de comedores en su sitio web y "
        "una licitación con un solo oferente fue repetida.",
        lessons="Un método sencillo y compartido convierte la desconfianza en datos que la "
        "administración no puede ignorar.",
    ),
)
