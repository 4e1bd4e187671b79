"""Search: query latency through the HTTP API at 100,000 or 1,000,000 posts, and the
indexing rate.

Generates the posts straight into the tables with COPY (several languages, realistic
lengths, a Zipf vocabulary of anti-corruption work, spread over regions, topics and five
years), builds the search documents in batches, then drives `GET /api/v1/search` with wrk
from 8 clients, one query type at a time and as a mix. Prints figures and the goals; it
never asserts. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import importlib
import itertools
import math
import queue
import secrets
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import httpx
import numpy as np
from _common import (
    API,
    CpuMeter,
    Result,
    add_database_arguments,
    forum_server,
    header,
    prepare,
    run_wrk,
    say,
    scratch_database,
    wrk_label,
)

BENCH_DB = "forum_bench_search"
AUTHOR_DOMAIN = "search-bench.example.org"  # of the generated members: see generation_mark
GOALS_MS = {100_000: (10.0, 50.0), 1_000_000: (50.0, 300.0)}  # posts -> p50, p95 (ms)


def project_module(name: str) -> ModuleType:
    """A module of the project's `search` package. This file is named like the package
    and bench/ comes first on sys.path, so the package is imported with bench/ set aside."""
    here = Path(__file__).resolve().parent
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    try:
        return importlib.import_module(name)
    finally:
        sys.path[:] = saved


# ---------------------------------------------------------------------------- vocabulary
#
# Real words of each language around anti-corruption work, most frequent first ("_" joins
# the words of one term), then everyday words of the same language; function words apart.
# Ranks follow a Zipf-Mandelbrot law, so a few words are in most posts of their language,
# the tail in about one in fifty, and the rare names below in a few posts in ten thousand.


@dataclass(frozen=True)
class Language:
    code: str
    share: float  # of all posts
    domain: str
    everyday: str
    function: str
    article: str  # "Article 13"
    regions: dict[str, float]  # where threads in this language are started


def _terms(text: str) -> list[str]:
    return [t.replace("_", " ") for t in text.split()]


LANGUAGES = (
    Language(
        "en", 0.45,
        """corruption public report government transparency law information review procurement
        budget audit integrity accountability convention country national ministry data court
        contract funds officials process project reform parliament commission agency oversight
        complaint investigation citizens community media journalists evidence policy
        implementation monitoring whistleblower protection bribery fraud tender declaration
        assets recovery campaign coalition network training workshop members organisation
        civil_society public_procurement anti-corruption beneficial_ownership asset_declaration
        conflict_of_interest open_data access_to_information rule_of_law money_laundering
        prosecutor judge judiciary police customs tax revenue spending allocation expenditure
        health education infrastructure hospital school water energy mining land property
        company registry shareholders owners offshore bank accounts sanctions penalties
        enforcement prosecution conviction trial appeal sentence secretariat conference
        resolution recommendations findings gaps questionnaire self-assessment reviewers experts
        focal_point country_review review_mechanism shadow_report deadline draft consultation
        submission stakeholders donors grant funding mandate independence capacity legislation
        amendment bill decree regulation framework strategy action_plan indicators benchmark
        survey index perception ranking methodology research analysis awareness petition
        hotline reporting_channel retaliation anonymity confidentiality safeguards victims
        witnesses lawyers litigation embezzlement extortion nepotism patronage kickbacks
        collusion bid_rigging overpricing favouritism cronyism lobbying campaign_finance
        elections political_parties disclosure registries portal dataset e-procurement
        red_flags contractors suppliers subcontractors invoices payments auditors inspectors
        supreme_audit_institution ombudsman regulator watchdog task_force cooperation
        extradition mutual_legal_assistance confiscation seizure freezing repatriation
        stolen_assets kleptocracy gender women youth students volunteers SMEs private_sector
        compliance due_diligence code_of_conduct ethics toolkit guide webinar""",
        """work need time year first new people important issue example experience support
        question help group next week month today recent meeting results case local regional
        international share change problem approach level role part way rights system service
        plan practice progress step programme world communities colleagues partners thanks idea
        answer discussion comments feedback topic update news article document link version
        final open available possible clear strong good better best high large small main key
        critical serious difficult simple current previous several many""",
        """the of and to in a is that for on with as by this it be are was from at or an have
        not we our their has which will were been they its but also more can all should""",
        "Article",
        {"global": 0.25, "africa": 0.15, "south-east-europe": 0.12, "pacific": 0.12,
         "south-east-asia": 0.13, "eastern-europe-central-asia": 0.10,
         "middle-east-north-africa": 0.08, "latin-america-caribbean": 0.05},
    ),
    Language(
        "fr", 0.20,
        """corruption rapport gouvernement transparence loi information examen marchés_publics
        budget audit intégrité redevabilité convention pays national ministère données tribunal
        contrat fonds fonctionnaires processus projet réforme parlement commission agence
        contrôle plainte enquête citoyens communauté médias journalistes preuves politique
        mise_en_œuvre suivi lanceur_d'alerte lanceurs_d'alerte protection pots-de-vin fraude
        appel_d'offres déclaration patrimoine recouvrement campagne coalition réseau formation
        atelier membres organisation société_civile anticorruption bénéficiaires_effectifs
        déclaration_de_patrimoine conflit_d'intérêts données_ouvertes accès_à_l'information
        état_de_droit blanchiment procureur juge justice police douanes impôts recettes dépenses
        santé éducation infrastructures hôpital école eau énergie mines foncier propriété
        entreprise registre actionnaires propriétaires banque comptes sanctions pénalités
        poursuites condamnation procès secrétariat conférence résolution recommandations
        constats lacunes questionnaire auto-évaluation examinateurs experts point_focal
        examen_de_pays rapport_parallèle résumé délai projet_de_loi consultation soumission
        acteurs bailleurs subvention financement mandat indépendance capacités législation
        amendement décret règlement cadre stratégie plan_d'action indicateurs indice perception
        classement méthodologie recherche analyse sensibilisation pétition ligne_verte
        signalement représailles anonymat confidentialité garanties victimes témoins avocats
        détournement extorsion népotisme clientélisme rétrocommissions collusion surfacturation
        favoritisme lobbying élections partis_politiques divulgation portail fournisseurs
        sous-traitants factures paiements auditeurs inspecteurs Cour_des_comptes médiateur
        régulateur coopération extradition entraide_judiciaire confiscation saisie gel
        restitution avoirs_volés kleptocratie genre femmes jeunes étudiants bénévoles PME
        secteur_privé conformité diligence code_de_conduite éthique guide webinaire""",
        """travail besoin temps année premier nouveau nouvelle personnes important question
        exemple expérience soutien aide groupe semaine mois aujourd'hui récent réunion résultats
        cas local régional international partage changement problème approche niveau rôle
        partie manière droits système service plan pratique progrès étape programme monde
        communautés collègues partenaires merci idée réponse discussion commentaires sujet
        mise_à_jour nouvelles article document lien version ouvert disponible possible clair
        fort faible bon meilleur grand petit principal majeur difficile simple actuel précédent
        plusieurs beaucoup""",
        """le la les de des du et à en un une est que qui pour dans sur par au aux avec ce
        cette ne pas plus nous sont leur ou il elle se son sa ses mais été""",
        "article",
        {"africa": 0.55, "middle-east-north-africa": 0.20, "global": 0.20,
         "south-east-europe": 0.03, "pacific": 0.02},
    ),
    Language(
        "es", 0.12,
        """corrupción informe gobierno transparencia ley información revisión
        contrataciones_públicas presupuesto auditoría integridad rendición_de_cuentas convención
        país nacional ministerio datos tribunal contrato fondos funcionarios proceso proyecto
        reforma congreso comisión agencia control denuncia investigación ciudadanos comunidad
        medios periodistas pruebas política implementación seguimiento denunciante protección
        soborno fraude licitación declaración bienes recuperación campaña coalición red
        capacitación taller miembros organización sociedad_civil anticorrupción
        beneficiarios_finales declaración_patrimonial conflicto_de_interés datos_abiertos
        acceso_a_la_información estado_de_derecho lavado_de_activos fiscal juez poder_judicial
        policía aduanas impuestos ingresos gasto salud educación infraestructura hospital escuela
        agua energía minería tierras propiedad empresa registro accionistas propietarios banco
        cuentas sanciones enjuiciamiento condena juicio apelación sentencia secretaría
        conferencia resolución recomendaciones hallazgos cuestionario autoevaluación expertos
        punto_focal informe_sombra plazo borrador consulta actores donantes financiamiento
        mandato independencia legislación enmienda decreto reglamento marco estrategia
        plan_de_acción indicadores encuesta índice percepción metodología análisis
        sensibilización represalias anonimato confidencialidad víctimas testigos abogados
        malversación extorsión nepotismo clientelismo coimas colusión sobreprecios favoritismo
        cabildeo elecciones partidos_políticos divulgación portal proveedores facturas pagos
        auditores Contraloría defensoría regulador cooperación extradición asistencia_judicial
        decomiso incautación activos_robados género mujeres jóvenes estudiantes voluntarios
        pymes sector_privado cumplimiento debida_diligencia código_de_conducta ética guía""",
        """trabajo necesidad tiempo año primero nuevo nueva personas importante tema ejemplo
        experiencia apoyo pregunta ayuda grupo semana mes hoy reciente reunión resultados caso
        local regional internacional compartir cambio problema enfoque nivel papel resultado
        parte manera derechos sistema servicio plan práctica avances paso programa mundo
        comunidades colegas socios gracias idea respuesta discusión comentarios actualización
        noticias artículo documento enlace versión abierto disponible posible claro fuerte
        bueno mejor grande pequeño principal difícil actual varios muchos""",
        """el la los las de del y en un una que es por para con se no su sus al lo como más
        pero sobre este esta fue han ha ser entre""",
        "artículo",
        {"latin-america-caribbean": 0.80, "global": 0.20},
    ),
    Language(
        "pt", 0.07,
        """corrupção relatório governo transparência lei informação revisão compras_públicas
        orçamento auditoria integridade prestação_de_contas convenção país nacional ministério
        dados tribunal contrato fundos servidores processo projeto reforma congresso comissão
        agência controle denúncia investigação cidadãos comunidade mídia jornalistas provas
        política implementação monitoramento denunciante proteção suborno propina fraude
        licitação declaração bens recuperação campanha coalizão rede capacitação oficina membros
        organização sociedade_civil anticorrupção beneficiário_final conflito_de_interesses
        dados_abertos acesso_à_informação estado_de_direito lavagem_de_dinheiro promotor juiz
        judiciário polícia alfândega impostos receita despesas saúde educação infraestrutura
        hospital escola água energia mineração terras propriedade empresa registro acionistas
        banco contas sanções condenação julgamento recurso sentença secretariado conferência
        resolução recomendações conclusões questionário autoavaliação especialistas ponto_focal
        relatório_paralelo prazo minuta consulta doadores financiamento mandato independência
        legislação emenda decreto regulamento estratégia plano_de_ação indicadores pesquisa
        índice percepção metodologia análise conscientização retaliação anonimato
        confidencialidade vítimas testemunhas advogados peculato extorsão nepotismo clientelismo
        conluio superfaturamento favorecimento eleições partidos_políticos portal fornecedores
        faturas pagamentos auditores Tribunal_de_Contas ouvidoria regulador cooperação
        extradição confisco apreensão ativos_roubados gênero mulheres jovens estudantes
        voluntários pequenas_empresas setor_privado conformidade código_de_conduta ética guia""",
        """trabalho necessidade tempo ano primeiro novo nova pessoas importante tema exemplo
        experiência apoio pergunta ajuda grupo semana mês hoje recente reunião resultados caso
        local regional internacional partilhar mudança problema abordagem nível papel resultado
        parte forma direitos sistema serviço plano prática progresso passo programa mundo
        comunidades colegas parceiros obrigado ideia resposta discussão comentários atualização
        notícias artigo documento link versão aberto disponível possível claro forte bom melhor
        grande pequeno principal difícil atual vários muitos""",
        """o a os as de do da dos das e em no na um uma que é por para com se não seu sua mais
        mas como ao foi são ser pelo pela entre""",
        "artigo",
        {"latin-america-caribbean": 0.45, "africa": 0.35, "global": 0.20},
    ),
    Language(
        "id", 0.06,
        """korupsi laporan pemerintah transparansi undang-undang informasi tinjauan pengadaan
        anggaran audit integritas akuntabilitas konvensi negara nasional kementerian data
        pengadilan kontrak dana pejabat proses proyek reformasi DPR komisi lembaga pengawasan
        pengaduan penyelidikan warga masyarakat media wartawan bukti kebijakan pelaksanaan
        pemantauan pelapor perlindungan suap penipuan tender deklarasi aset pemulihan kampanye
        koalisi jaringan pelatihan lokakarya anggota organisasi masyarakat_sipil antikorupsi
        pemilik_manfaat konflik_kepentingan data_terbuka keterbukaan_informasi negara_hukum
        pencucian_uang jaksa hakim kepolisian bea_cukai pajak pendapatan belanja kesehatan
        pendidikan infrastruktur rumah_sakit sekolah air energi pertambangan tanah perusahaan
        pemegang_saham bank rekening sanksi penuntutan vonis persidangan banding hukuman
        sekretariat konferensi resolusi rekomendasi temuan kuesioner penilaian_mandiri ahli
        laporan_bayangan tenggat rancangan konsultasi donor pendanaan mandat independensi
        legislasi amandemen peraturan strategi rencana_aksi indikator survei indeks persepsi
        metodologi analisis kesadaran pembalasan kerahasiaan korban saksi pengacara penggelapan
        pemerasan nepotisme kolusi penggelembungan pemilu partai_politik portal pemasok
        pembayaran auditor ombudsman kerja_sama ekstradisi penyitaan perampasan_aset gender
        perempuan pemuda mahasiswa relawan UMKM sektor_swasta kepatuhan kode_etik panduan""",
        """kerja kebutuhan waktu tahun pertama baru orang penting masalah contoh pengalaman
        dukungan pertanyaan bantuan kelompok minggu bulan hari_ini terbaru pertemuan hasil
        kasus lokal regional internasional berbagi perubahan pendekatan tingkat peran bagian
        cara hak sistem layanan rencana praktik kemajuan langkah program dunia komunitas rekan
        mitra terima_kasih ide jawaban diskusi komentar pembaruan berita artikel dokumen tautan
        versi terbuka tersedia mungkin jelas kuat baik besar kecil utama sulit sederhana
        beberapa banyak""",
        """yang dan di ke dari ini itu untuk dengan dalam tidak akan pada juga oleh adalah ada
        kami kita mereka sudah telah atau karena sebagai bisa lebih""",
        "Pasal",
        {"south-east-asia": 0.90, "global": 0.10},
    ),
    Language(
        "ru", 0.05,
        """коррупция доклад правительство прозрачность закон информация обзор закупки бюджет
        аудит добросовестность подотчётность конвенция страна национальный министерство данные
        суд контракт средства чиновники процесс проект реформа парламент комиссия агентство
        надзор жалоба расследование граждане сообщество СМИ журналисты доказательства политика
        осуществление мониторинг информатор защита взятка мошенничество тендер декларация
        активы возвращение кампания коалиция сеть обучение семинар участники организация
        гражданское_общество антикоррупционный конечные_бенефициары конфликт_интересов
        открытые_данные доступ_к_информации верховенство_права отмывание_денег прокурор судья
        судебная_система полиция таможня налоги доходы расходы здравоохранение образование
        инфраструктура больница школа вода энергетика добыча земля собственность компания
        реестр акционеры владельцы банк счета санкции преследование приговор разбирательство
        апелляция секретариат конференция резолюция рекомендации выводы пробелы вопросник
        самооценка эксперты контактное_лицо альтернативный_доклад срок проект_закона
        консультации доноры финансирование мандат независимость законодательство поправка указ
        постановление стратегия план_действий индикаторы опрос индекс восприятие методология
        анализ осведомлённость анонимность конфиденциальность жертвы свидетели адвокаты растрата
        вымогательство кумовство откаты сговор завышение_цен лоббирование выборы
        политические_партии раскрытие портал поставщики платежи аудиторы Счётная_палата
        омбудсмен регулятор сотрудничество экстрадиция конфискация арест похищенные_активы
        клептократия гендер женщины молодёжь студенты волонтёры малый_бизнес частный_сектор
        комплаенс кодекс_поведения этика руководство""",
        """работа время год первый новый люди важный вопрос пример опыт поддержка помощь группа
        неделя месяц сегодня недавно встреча результаты случай местный региональный
        международный обмен изменения проблема подход уровень роль часть способ права система
        услуги план практика прогресс шаг программа мир сообщества коллеги партнёры спасибо
        идея ответ обсуждение комментарии обновление новости статья документ ссылка версия
        открытый доступный возможный ясный сильный хороший лучший большой малый главный сложный
        текущий несколько много""",
        """и в не на что с по к как это из за от о для также но или его их был была были бы до
        при все мы они""",
        "статья",
        {"eastern-europe-central-asia": 0.85, "global": 0.15},
    ),
    Language(
        "ar", 0.05,
        """الفساد تقرير الحكومة الشفافية القانون المعلومات مراجعة المشتريات_العامة الميزانية
        التدقيق النزاهة المساءلة الاتفاقية البلد الوطني الوزارة البيانات المحكمة العقد الأموال
        المسؤولين العملية المشروع الإصلاح البرلمان اللجنة الهيئة الرقابة شكوى التحقيق المواطنين
        المجتمع الإعلام الصحفيين الأدلة السياسة التنفيذ الرصد المبلغين الحماية الرشوة الاحتيال
        المناقصة الإقرار الأصول الاسترداد الحملة التحالف الشبكة التدريب ورشة الأعضاء المنظمة
        المجتمع_المدني مكافحة_الفساد المستفيد_الحقيقي تضارب_المصالح البيانات_المفتوحة
        الحصول_على_المعلومات سيادة_القانون غسل_الأموال النيابة القاضي القضاء الشرطة الجمارك
        الضرائب الإيرادات الإنفاق الصحة التعليم البنية_التحتية المستشفى المدرسة المياه الطاقة
        التعدين الأراضي الملكية الشركة السجل المساهمين البنك الحسابات العقوبات الملاحقة الإدانة
        المحاكمة الاستئناف الحكم الأمانة المؤتمر القرار التوصيات النتائج الاستبيان
        التقييم_الذاتي الخبراء نقطة_الاتصال تقرير_الظل المهلة مسودة التشاور المانحين التمويل
        الولاية الاستقلالية التشريع التعديل المرسوم اللائحة الاستراتيجية خطة_العمل المؤشرات
        المسح المؤشر المنهجية التحليل التوعية الانتقام السرية الضحايا الشهود المحامين الاختلاس
        الابتزاز المحسوبية الواسطة التواطؤ الانتخابات الأحزاب_السياسية الإفصاح البوابة
        الموردين المدفوعات المدققين ديوان_المحاسبة أمين_المظالم التعاون تسليم_المجرمين المصادرة
        التجميد الأصول_المسروقة النوع_الاجتماعي النساء الشباب الطلاب المتطوعين القطاع_الخاص
        الامتثال مدونة_السلوك الأخلاقيات الدليل""",
        """العمل الوقت العام الأول الجديد الناس مهم القضية مثال التجربة الدعم السؤال المساعدة
        المجموعة الأسبوع الشهر اليوم الاجتماع الحالة المحلي الإقليمي الدولي المشاركة التغيير
        المشكلة النهج المستوى الدور الجزء الطريقة الحقوق النظام الخدمات الخطة الممارسة التقدم
        الخطوة البرنامج العالم الزملاء الشركاء شكرا الفكرة الجواب النقاش التعليقات التحديث
        الأخبار المقال الوثيقة الرابط النسخة متاح ممكن واضح قوي جيد أفضل كبير صغير رئيسي صعب
        الحالي عدة كثير""",
        """في من على إلى أن عن مع هذا هذه التي الذي كان لا ما بين قد كل أو ثم حيث هو هي نحن
        بعد قبل عند""",
        "المادة",
        {"middle-east-north-africa": 0.85, "global": 0.10, "africa": 0.05},
    ),
)  # fmt: skip

# Names and references any language mentions: the rare tokens. The acronyms first (the
# most frequent), then places, bodies and instruments.
NAMES = _terms(
    """UNCAC UNODC OECD GRECO FATF EITI MESICIC OLAF Interpol Europol World_Bank IMF UNDP
    Transparency_International Global_Witness OCCRP Open_Contracting_Partnership
    Open_Government_Partnership UNCAC_Coalition CSNAC OLCAC StAR_Initiative Basel_Institute U4
    Egmont_Group African_Union ASEAN Pacific_Islands_Forum Council_of_Europe EFCC KPK ICAC CPIB
    SIGMA ISO_37001 SDG_16.5 Nairobi Lagos Accra Dakar Abidjan Kinshasa Kampala Lusaka Harare
    Maputo Luanda Yaoundé Bamako Ouagadougou Niamey Tunis Rabat Algiers Cairo Amman Beirut
    Baghdad Ramallah Sarajevo Belgrade Skopje Tirana Podgorica Pristina Chisinau Kyiv Tbilisi
    Yerevan Baku Almaty Bishkek Dushanbe Tashkent Ulaanbaatar Jakarta Surabaya Manila Hanoi
    Bangkok Dili Kuala_Lumpur Phnom_Penh Vientiane Suva Honiara Port_Moresby Apia Nukualofa
    Port_Vila Tarawa Lima Bogotá Quito La_Paz Asunción Montevideo Tegucigalpa Managua
    San_Salvador Guatemala_City Santo_Domingo Kingston Caracas Santiago Buenos_Aires Brasília
    Recife Vienna Geneva Doha Panama Cotonou Lomé Conakry Freetown Monrovia Banjul Bissau
    Nouakchott Khartoum Juba Addis_Ababa Asmara Djibouti Mogadishu Kigali Bujumbura Dodoma
    Lilongwe Gaborone Windhoek Maseru Mbabane Antananarivo Moroni Victoria Port_Louis Praia
    Malabo Libreville Brazzaville Bangui Ndjamena Tripoli Muscat Manama Kuwait Riyadh Sanaa
    Damascus Zagreb Ljubljana Sofia Bucharest Athens Nicosia Minsk Ashgabat Astana Naypyidaw
    Yangon Bandar_Seri_Begawan Singapore Majuro Palikir Funafuti Yaren Honduras_Decree_93-2021
    Law_2016-1691 Directive_2019/1937 Resolution_8/14 Resolution_10/8 Decree_45/2019
    Law_No._20/2001 Sapin_II Bribery_Act FCPA Lava_Jato Odebrecht Panama_Papers Pandora_Papers
    FinCEN_Files Pegasus Luanda_Leaks Mossack_Fonseca Danske_Bank Wirecard 1MDB Gupta_Leaks
    Glencore Petrobras Ericsson Airbus Siemens Teodorin Ituri Katanga Marange Cabo_Delgado
    Tuna_Bonds Hidden_Debts Arms_Deal Hambantota Chevron Bouygues Vitol Trafigura"""
)
ARTICLES = range(5, 72)  # UNCAC articles a post cites ("Article 13")

WORD_LAW = (1.3, 8.0)  # Zipf-Mandelbrot exponent and offset over the words of a language
RARE_LAW = 1.0  # Zipf exponent over the names
FUNCTION_SHARE = 0.45  # of the words of a post
# A post repeats its words: it draws one word for every BURST of its other words and uses
# only those, so a word is in fewer posts than its frequency alone would put it in.
BURST = 3.0
RARE_PER_POST = 0.4  # names and articles cited per post, on average
SENTENCE_WORDS = 14  # on average
PARAGRAPH_SENTENCES = 4  # on average
SAME_LANGUAGE = 0.9  # replies written in the thread's language; the others as anyone writes


def zipf(n: int, exponent: float, offset: float = 0.0) -> np.ndarray:
    weights = 1.0 / (np.arange(1, n + 1) + offset) ** exponent
    return weights / weights.sum()


@dataclass
class Vocabulary:
    """One language's words as the generator draws them: a table of written forms (each
    term plain, Capitalised, with a full stop, or both) indexed by 4 * term + variant."""

    language: Language
    words: list[str]  # domain and everyday terms interleaved, by rank
    domain: frozenset[str]  # what readers search for
    function: list[str]
    rare: list[str]
    word_cdf: np.ndarray
    function_cdf: np.ndarray
    rare_cdf: np.ndarray
    forms: np.ndarray  # object array of str

    @classmethod
    def of(cls, language: Language) -> Vocabulary:
        domain, everyday = _terms(language.domain), _terms(language.everyday)
        interleaved = [t for pair in zip(domain, everyday, strict=False) for t in pair]
        interleaved += domain[len(everyday) :] + everyday[len(domain) :]
        words = list(dict.fromkeys(interleaved))
        function = list(dict.fromkeys(_terms(language.function)))
        rng = np.random.default_rng(len(language.code) * 7 + ord(language.code[0]))
        cited = [f"{language.article} {n}" for n in ARTICLES]
        tail = NAMES[12:] + cited
        rng.shuffle(tail)  # acronyms stay on top; places, laws and articles mixed below
        rare = NAMES[:12] + tail
        terms = words + function + rare
        forms = np.empty(4 * len(terms), dtype=object)
        for i, t in enumerate(terms):
            cap = t[:1].upper() + t[1:]
            forms[4 * i : 4 * i + 4] = (t, cap, t + ".", cap + ".")
        return cls(
            language,
            words,
            frozenset(domain),
            function,
            rare,
            np.cumsum(zipf(len(words), *WORD_LAW)),
            np.cumsum(zipf(len(function), 1.0)),
            np.cumsum(zipf(len(rare), RARE_LAW)),
            forms,
        )

    def draw(self, cdf: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.minimum(np.searchsorted(cdf, rng.random(n)), len(cdf) - 1)

    def share_of_posts(self, term: int, lengths: np.ndarray) -> float:
        """The expected share of posts of these lengths holding word `term` (by rank)."""
        p = self.word_cdf[term] - (self.word_cdf[term - 1] if term else 0.0)
        return float(np.mean(1.0 - (1.0 - p) ** pool_sizes(lengths)))

    def rare_share(self, index: int) -> float:
        p = self.rare_cdf[index] - (self.rare_cdf[index - 1] if index else 0.0)
        return float(1.0 - math.exp(-RARE_PER_POST * p))


def words_per_post(n: int, rng: np.random.Generator) -> np.ndarray:
    """Mostly around 100 words (log-normal), some one-liners, some long posts of 400+."""
    counts = np.exp(rng.normal(math.log(95), 0.5, n))
    kind = rng.random(n)
    one_liner, long = kind < 0.07, kind > 0.94
    counts[one_liner] = rng.integers(2, 13, int(one_liner.sum()))
    counts[long] = np.exp(rng.normal(math.log(520), 0.35, int(long.sum())))
    return np.clip(counts, 2, 3000).astype(np.int64)


def pool_sizes(lengths: np.ndarray) -> np.ndarray:
    """How many words (with repeats) each post draws for the BURST law."""
    return np.maximum(1, np.ceil(lengths * (1 - FUNCTION_SHARE) / BURST)).astype(np.int64)


def texts(
    vocab: Vocabulary, lengths: np.ndarray, rng: np.random.Generator
) -> tuple[list[str], list[str]]:
    """Bodies of posts with these word counts: (Markdown source, HTML), paragraph by
    paragraph, built from whole arrays of drawn words (a Python loop per paragraph only)."""
    total = int(lengths.sum())
    n_words, n_function = len(vocab.words), len(vocab.function)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    # Each post's words come from its own pool of drawn words (BURST).
    pools = pool_sizes(lengths)
    pool = vocab.draw(vocab.word_cdf, int(pools.sum()), rng)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    pick = (np.cumsum(pools) - pools)[owner] + (rng.random(total) * pools[owner]).astype(np.int64)
    ids = pool[pick]
    function = rng.random(total) < FUNCTION_SHARE
    ids[function] = n_words + vocab.draw(vocab.function_cdf, int(function.sum()), rng)
    # Names and article numbers: a few per post, at random places.
    cites = rng.poisson(RARE_PER_POST, len(lengths))
    citing = np.repeat(np.arange(len(lengths)), cites)
    at = starts[citing] + (rng.random(len(citing)) * lengths[citing]).astype(np.int64)
    ids[at] = n_words + n_function + vocab.draw(vocab.rare_cdf, len(citing), rng)
    # Sentences end at random (and at the end of each post), paragraphs at some of those.
    stop = rng.random(total) < 1 / SENTENCE_WORDS
    stop[ends - 1] = True
    begin = np.empty(total, dtype=bool)
    begin[0] = True
    begin[1:] = stop[:-1]
    paragraph = stop & (rng.random(total) < 1 / PARAGRAPH_SENTENCES)
    paragraph[ends - 1] = True
    words = vocab.forms[4 * ids + begin + 2 * stop].tolist()
    breaks = np.flatnonzero(paragraph) + 1
    bounds = np.concatenate(([0], breaks)).tolist()
    paragraphs = [" ".join(words[a:b]) for a, b in itertools.pairwise(bounds)]
    # Paragraphs per post: those whose end falls within it.
    last = np.searchsorted(breaks, ends, side="left").tolist()
    first = [0, *(i + 1 for i in last[:-1])]
    sources, htmls = [], []
    for a, b in zip(first, last, strict=True):
        mine = paragraphs[a : b + 1]
        sources.append("\n\n".join(mine))
        htmls.append("".join(f"<p>{html.escape(p)}</p>" for p in mine))
    return sources, htmls


def title(vocab: Vocabulary, rng: np.random.Generator) -> str:
    ids = vocab.draw(vocab.word_cdf, int(rng.integers(3, 10)), rng)
    words = [vocab.words[i] for i in ids]
    if rng.random() < 0.3:
        words.insert(
            int(rng.integers(0, len(words))), vocab.rare[vocab.draw(vocab.rare_cdf, 1, rng)[0]]
        )
    text = " ".join(words)
    return (text[:1].upper() + text[1:])[:200]


# ---------------------------------------------------------------------------- the plan
#
# Who wrote what, where and when, for every post, drawn up front with numpy; the texts
# are written chunk by chunk while COPY sends the previous chunk.

SPAN_DAYS = 5 * 365
THREAD_POSTS = 10  # on average
AUTHORS = 500
DELETED = 0.003  # of replies, kept as tombstones (no search document)
FIRST_NAMES = _terms(
    """Amina Jean Fatou Kwame Nadia Olga Carlos Lucía João Ana Budi Siti Dmitri Irina Karim Layla
    Tomás Mariana Chinedu Grace Moussa Aïcha Nguyen Maria Paulo Rosa Ahmed Samira Tevita Mere
    Ivan Elena Hassan Noor Diego Camila Ayesha Joseph Miriama Vusi"""
)
LAST_NAMES = _terms(
    """Diallo Mensah Okafor Ivanova Petrov García Silva Santos Wijaya Pratama Haddad Khalil Mbeki
    Traoré Ouédraogo Nkosi Fernández López Costa Pereira Hakimi Saleh Morozova Tuilagi Fifita
    Tran Nguyen Banda Mwangi Achieng Kamara Sesay Rahman Aziz Quispe Mamani Rojas"""
)
ORGANISATION_KINDS = ("Integrity Watch", "Transparency Forum", "Civic Monitor",
                      "Anti-Corruption Network", "Open Budget Lab", "Citizens' Audit",
                      "Public Interest Law Centre", "Youth for Integrity",
                      "Women in Governance", "Procurement Observatory")  # fmt: skip


@dataclass(frozen=True)
class Catalog:
    regions: dict[str, int]  # slug -> id
    topics: list[int]
    countries: dict[int, list[str]]  # region id -> country codes
    next_ids: dict[str, int]  # table -> first free id


@dataclass
class Plan:
    posts: int
    users: int
    thread_language: np.ndarray  # index into LANGUAGES, per thread (in id order)
    thread_region: np.ndarray
    thread_topic: np.ndarray
    thread_first: np.ndarray  # microseconds since the start of the span
    thread_last: np.ndarray
    thread_posts: np.ndarray
    thread_author: np.ndarray  # user index
    post_thread: np.ndarray  # thread index, per post (in id order)
    post_position: np.ndarray
    post_time: np.ndarray
    post_language: np.ndarray
    post_author: np.ndarray
    post_deleted: np.ndarray
    post_words: np.ndarray
    user_language: np.ndarray

    @property
    def threads(self) -> int:
        return len(self.thread_language)


def draw_plan(posts: int, catalog: Catalog, rng: np.random.Generator) -> Plan:
    shares = np.array([lang.share for lang in LANGUAGES])
    shares /= shares.sum()
    sizes = rng.geometric(1 / THREAD_POSTS, posts // THREAD_POSTS * 2 + 10)
    cut = int(np.searchsorted(np.cumsum(sizes), posts)) + 1
    sizes = sizes[:cut]
    sizes[-1] -= int(sizes.sum()) - posts
    n_threads = len(sizes)
    language = rng.choice(len(LANGUAGES), n_threads, p=shares)
    region = np.empty(n_threads, dtype=np.int64)
    for k, lang in enumerate(LANGUAGES):
        mine = np.flatnonzero(language == k)
        slugs = list(lang.regions)
        weights = np.array([lang.regions[s] for s in slugs])
        ids = np.array([catalog.regions[s] for s in slugs])
        region[mine] = ids[rng.choice(len(slugs), len(mine), p=weights / weights.sum())]
    topics = np.array(catalog.topics)
    topic = topics[rng.permutation(len(topics))][
        rng.choice(len(topics), n_threads, p=zipf(len(topics), 0.8))
    ]
    # Threads start more often lately (the forum grows); replies follow within days.
    span = SPAN_DAYS * 86400.0
    start = np.sort(span * np.sqrt(rng.random(n_threads)))
    thread_of = np.repeat(np.arange(n_threads), sizes)
    first_of = np.cumsum(sizes) - sizes
    position = np.arange(posts) - first_of[thread_of] + 1
    gaps = rng.exponential(2 * 86400.0, posts)
    gaps[first_of] = 0.0
    elapsed = np.cumsum(gaps)
    elapsed -= elapsed[first_of][thread_of]
    # A thread whose replies would run past the end of the span has them drawn closer
    # together (clamping them would give thousands of posts the same last timestamp,
    # which no forum has and which fattens "the newest N posts").
    last = elapsed[first_of + sizes - 1]
    room = np.maximum(span - 60 - start, 1.0)
    squeeze = np.minimum(1.0, room / np.maximum(last, 1.0))
    # Whole microseconds, as PostgreSQL keeps them: a thread's times equal its posts'.
    times = np.round((start[thread_of] + elapsed * squeeze[thread_of]) * 1e6).astype(np.int64)
    # Ids in time order; a thread's posts keep their order (stable sort, thread-major).
    order = np.argsort(times, kind="stable")
    post_thread, post_position, post_time = thread_of[order], position[order], times[order]
    # Threads too are numbered in the order they started.
    thread_rank = np.empty(n_threads, dtype=np.int64)
    thread_rank[np.argsort(start, kind="stable")] = np.arange(n_threads)
    post_thread = thread_rank[post_thread]
    inverse = np.argsort(thread_rank)
    language, region, topic, sizes = (
        language[inverse],
        region[inverse],
        topic[inverse],
        sizes[inverse],
    )
    opening = post_position == 1
    first = np.zeros(n_threads, dtype=np.int64)
    first[post_thread[opening]] = post_time[opening]
    last = np.zeros(n_threads, dtype=np.int64)
    np.maximum.at(last, post_thread, post_time)

    own = rng.random(posts) < SAME_LANGUAGE
    post_language = np.where(
        own, language[post_thread], rng.choice(len(LANGUAGES), posts, p=shares)
    )
    users = AUTHORS
    user_language = rng.choice(len(LANGUAGES), users, p=shares)
    post_author = rng.choice(users, posts, p=zipf(users, 1.0))  # a few write a lot
    for k in range(len(LANGUAGES)):
        speakers = np.flatnonzero(user_language == k)
        mine = np.flatnonzero((post_language == k) & (rng.random(posts) < 0.8))
        if len(speakers):
            post_author[mine] = speakers[
                rng.choice(len(speakers), len(mine), p=zipf(len(speakers), 1.0))
            ]
    thread_author = np.empty(n_threads, dtype=np.int64)
    thread_author[post_thread[opening]] = post_author[opening]
    words = words_per_post(posts, rng)
    words[opening] = (words[opening] * 1.4).astype(np.int64)  # opening posts say more
    deleted = (rng.random(posts) < DELETED) & ~opening
    return Plan(
        posts=posts,
        users=users,
        thread_language=language,
        thread_region=region,
        thread_topic=topic,
        thread_first=first,
        thread_last=last,
        thread_posts=sizes,
        thread_author=thread_author,
        post_thread=post_thread,
        post_position=post_position,
        post_time=post_time,
        post_language=post_language,
        post_author=post_author,
        post_deleted=deleted,
        post_words=words,
        user_language=user_language,
    )


# ---------------------------------------------------------------------------- writing


CHUNK = 10_000  # posts generated at a time
TIMES = "replies squeezed into the span"  # how post times are drawn (see draw_plan)


def generation_mark(seed: int) -> str:
    """The e-mail domain of the generated members, hence the mark of their posts. It names
    the generator's parameters and seed: a kept database generated otherwise is not taken
    for this one (the query mix is drawn from the same parameters)."""
    made_of = (seed, LANGUAGES, NAMES, tuple(ARTICLES), WORD_LAW, RARE_LAW, FUNCTION_SHARE,
               BURST, RARE_PER_POST, SENTENCE_WORDS, PARAGRAPH_SENTENCES, SAME_LANGUAGE,
               SPAN_DAYS, THREAD_POSTS, AUTHORS, DELETED, TIMES)  # fmt: skip
    return f"g{zlib.crc32(repr(made_of).encode()):08x}.{AUTHOR_DOMAIN}"


def user_records(
    plan: Plan, catalog: Catalog, origin: datetime, domain: str, rng: np.random.Generator
) -> list[tuple]:
    from forum import names

    places = NAMES[36:120]
    records = []
    taken = set()
    for i in range(plan.users):
        organisation = None
        if rng.random() < 0.7:
            kind = ORGANISATION_KINDS[int(rng.integers(len(ORGANISATION_KINDS)))]
            organisation = f"{kind} {places[int(rng.integers(len(places)))]}"
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        # Display names are unique as people read them (users.display_name_key).
        name = f"{first} {last}"
        if names.key(name) in taken:
            name = f"{first} {last} {i}"
        taken.add(names.key(name))
        records.append((
            catalog.next_ids["users"] + i,
            f"author-{i}@{domain}",
            name,
            names.key(name),
            "bench: no password",
            organisation,
            LANGUAGES[plan.user_language[i]].code,
            origin - timedelta(days=float(rng.random() * 365)),
            # Written here: COPY with replication_role = replica fires no trigger, so the
            # one that gives a new account its handle (migration 0026) does not run.
            f"author_{i}",
        ))  # fmt: skip
    return records


def thread_records(
    plan: Plan, catalog: Catalog, vocabularies: list[Vocabulary], origin: datetime,
    rng: np.random.Generator,
) -> tuple[list[tuple], list[tuple]]:  # fmt: skip
    threads, countries = [], []
    first_thread, first_user = catalog.next_ids["threads"], catalog.next_ids["users"]
    everywhere = sorted(c for codes in catalog.countries.values() for c in codes)
    for i in range(plan.threads):
        thread_id = first_thread + i
        threads.append((
            thread_id,
            int(plan.thread_region[i]),
            int(plan.thread_topic[i]),
            first_user + int(plan.thread_author[i]),
            title(vocabularies[plan.thread_language[i]], rng),
            origin + timedelta(microseconds=int(plan.thread_first[i])),
            origin + timedelta(microseconds=int(plan.thread_last[i])),
            int(plan.thread_posts[i]),
        ))  # fmt: skip
        codes = catalog.countries.get(int(plan.thread_region[i])) or everywhere
        picked = rng.choice(
            len(codes), min(len(codes), int(rng.choice(3, p=(0.3, 0.5, 0.2)))), replace=False
        )
        countries += [(thread_id, codes[k]) for k in sorted(picked)]
    return threads, countries


def post_chunks(
    plan: Plan, catalog: Catalog, vocabularies: list[Vocabulary], origin: datetime, seed: int
) -> Iterator[list[tuple]]:
    """Rows for COPY into posts, CHUNK at a time, in id order."""
    rng = np.random.default_rng(seed)
    first_post, first_thread = catalog.next_ids["posts"], catalog.next_ids["threads"]
    first_user = catalog.next_ids["users"]
    for a in range(0, plan.posts, CHUNK):
        b = min(a + CHUNK, plan.posts)
        sources: list[str] = [""] * (b - a)
        htmls: list[str] = [""] * (b - a)
        languages = plan.post_language[a:b]
        for k, vocab in enumerate(vocabularies):
            mine = np.flatnonzero(languages == k)
            if len(mine):
                src, htm = texts(vocab, plan.post_words[a:b][mine], rng)
                for j, s, h in zip(mine.tolist(), src, htm, strict=True):
                    sources[j], htmls[j] = s, h
        times = [origin + timedelta(microseconds=t) for t in plan.post_time[a:b].tolist()]
        deleted = plan.post_deleted[a:b].tolist()
        codes = [LANGUAGES[k].code for k in languages.tolist()]
        yield [
            (first_post + a + j, first_thread + t, p, first_user + u, sources[j], htmls[j],
             times[j], times[j] + timedelta(days=1) if deleted[j] else None, codes[j])
            for j, (t, p, u) in enumerate(zip(plan.post_thread[a:b].tolist(),
                                              plan.post_position[a:b].tolist(),
                                              plan.post_author[a:b].tolist(), strict=True))
        ]  # fmt: skip


async def produced(chunks: Iterator[list[tuple]]) -> AsyncIterator[tuple]:
    """Rows made in a thread while COPY sends the ones before (PostgreSQL works meanwhile)."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=3)
    end = object()

    def run() -> None:
        try:
            for chunk in chunks:
                ready.put(chunk)
        except BaseException as exc:  # handed to the consumer, which raises it
            ready.put(exc)
        else:
            ready.put(end)

    threading.Thread(target=run, daemon=True, name="bench-posts").start()
    while (item := await asyncio.to_thread(ready.get)) is not end:
        if isinstance(item, BaseException):
            raise item
        for row in item:
            yield row


@dataclass
class Generated:
    posts: int = 0
    threads: int = 0
    users: int = 0
    seconds: float = 0.0  # drawing, writing texts and COPY, all told
    text_bytes: int = 0


async def generate(dsn: str, posts: int, seed: int) -> Generated:
    import asyncpg

    began = time.monotonic()
    conn = await asyncpg.connect(dsn)
    try:
        catalog = await read_catalog(conn)
        rng = np.random.default_rng(seed)
        plan = draw_plan(posts, catalog, rng)
        vocabularies = [Vocabulary.of(lang) for lang in LANGUAGES]
        origin = (datetime.now(UTC) - timedelta(days=SPAN_DAYS + 1)).replace(microsecond=0)
        say(f"generating {posts:,} posts in {plan.threads:,} threads by {plan.users} members")
        # The rows are consistent by construction: foreign keys are not checked row by row.
        await conn.execute("SET session_replication_role = replica")
        async with conn.transaction():
            await conn.copy_records_to_table(
                "users", records=user_records(plan, catalog, origin, generation_mark(seed), rng),
                columns=("id", "email", "display_name", "display_name_key", "password_hash",
                         "organisation", "language", "created_at", "handle"),
            )  # fmt: skip
            threads, countries = thread_records(plan, catalog, vocabularies, origin, rng)
            await conn.copy_records_to_table(
                "threads", records=threads,
                columns=("id", "region_id", "topic_id", "author_id", "title", "created_at",
                         "last_activity_at", "post_count"),
            )  # fmt: skip
            await conn.copy_records_to_table(
                "thread_countries", records=countries, columns=("thread_id", "country_code")
            )
            await conn.copy_records_to_table(
                "posts",
                records=produced(post_chunks(plan, catalog, vocabularies, origin, seed + 1)),
                columns=("id", "thread_id", "position", "author_id", "body_source", "body_html",
                         "created_at", "deleted_at", "language"),
            )  # fmt: skip
            for table in ("users", "threads", "posts"):
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                )
            # Threads per region and topic, as `forum.catalog.count_thread` keeps them.
            await conn.execute(
                "INSERT INTO thread_counts (region_id, topic_id, threads) "
                "SELECT region_id, topic_id, count(*) FROM threads WHERE NOT hidden "
                "GROUP BY region_id, topic_id "
                "ON CONFLICT (region_id, topic_id) DO UPDATE SET threads = excluded.threads"
            )
        await conn.execute("ANALYZE")
        size = await conn.fetchval(
            "SELECT sum(length(body_source) + length(body_html)) FROM posts WHERE id >= $1",
            catalog.next_ids["posts"],
        )
    finally:
        await conn.close()
    return Generated(posts, plan.threads, plan.users, time.monotonic() - began, int(size or 0))


async def read_catalog(conn: Any) -> Catalog:
    regions = {r["slug"]: r["id"] for r in await conn.fetch("SELECT id, slug FROM regions")}
    topics = [r["id"] for r in await conn.fetch("SELECT id FROM topics ORDER BY id")]
    countries: dict[int, list[str]] = {}
    for r in await conn.fetch("SELECT code, region_id FROM countries ORDER BY code"):
        countries.setdefault(r["region_id"], []).append(r["code"])
    next_ids = {
        table: await conn.fetchval(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
        for table in ("users", "threads", "posts")
    }
    return Catalog(regions, topics, countries, next_ids)


# ---------------------------------------------------------------------------- indexing


@dataclass
class Indexed:
    documents: int = 0
    seconds: float = 0.0  # search documents, all batches
    vocabulary_seconds: float = 0.0
    window_seconds: float = 0.0
    vacuum_seconds: float = 0.0
    sizes: dict[str, int] = field(default_factory=dict)  # bytes

    @property
    def rate(self) -> float:
        return self.documents / self.seconds if self.seconds else 0.0


async def build_documents(url: str, workers: int, batch: int) -> tuple[int, float]:
    """`forum.documents.refresh` over every post id, `batch` ids per transaction, from
    `workers` connections at once: (documents written, seconds)."""
    from forum import documents
    from forum.db import Database

    db = Database(url, pool_size=workers)
    try:
        async with db.transaction() as session:
            await session.exec_driver_sql("TRUNCATE search_documents")
            last = (await session.exec_driver_sql("SELECT max(id) FROM posts")).scalar() or 0
        starts = iter(range(1, last + 1, batch))
        done = 0
        began = time.monotonic()

        async def worker() -> None:
            nonlocal done
            for start in starts:  # shared: each batch goes to one worker
                async with db.transaction() as session:
                    await documents.refresh(session, range(start, min(start + batch, last + 1)))
                done += 1
                if done % max(1, last // batch // 10) == 0:
                    say(f"indexing: {min(done * batch, last):,} of {last:,} post ids")

        await asyncio.gather(*(worker() for _ in range(workers)))
        seconds = time.monotonic() - began
        async with db.transaction() as session:
            count = (
                await session.exec_driver_sql("SELECT count(*) FROM search_documents")
            ).scalar()
    finally:
        await db.dispose()
    return int(count or 0), seconds


async def build_vocabulary(url: str, *, fresh: bool) -> float:
    """The words "did you mean" draws on, read from every post (the server would otherwise
    do it in the background during the measurements); `fresh`: from the first post."""
    from forum.db import Database

    vocabulary = project_module("search.vocabulary")
    db = Database(url, pool_size=1)
    began = time.monotonic()
    try:
        if fresh:
            async with db.transaction() as session:
                await session.exec_driver_sql("TRUNCATE search_terms")
                await session.exec_driver_sql(
                    f"DELETE FROM search_cursors WHERE name = '{vocabulary.CURSOR}'"
                )
        while True:
            async with db.transaction() as session:
                if not await vocabulary.refresh(session):
                    break
    finally:
        await db.dispose()
    return time.monotonic() - began


async def move_window(url: str) -> float:
    """What the server's search upkeep does within seconds of starting: the newest
    documents get their lexeme, so the first searches measured already use the window."""
    from forum.db import Database

    postgres = project_module("search.postgres")
    db = Database(url, pool_size=1)
    began = time.monotonic()
    try:
        await postgres.PostgresBackend(db).keep_window()
    finally:
        await db.dispose()
    return time.monotonic() - began


async def vacuum(dsn: str) -> float:
    """What autovacuum would do to a table this fresh: visibility map, statistics, and the
    GIN index's pending list merged into the index."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    began = time.monotonic()
    try:
        await conn.execute("VACUUM (ANALYZE) search_documents")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.monotonic() - began


SIZES = {
    "documents table": "pg_relation_size('search_documents') "
    "+ coalesce(pg_total_relation_size(nullif((SELECT reltoastrelid FROM pg_class "
    "WHERE relname = 'search_documents'), 0)), 0)",
    "GIN index (tsv)": "pg_relation_size('ix_search_documents_tsv')",
    "documents' other indexes": "pg_indexes_size('search_documents') "
    "- pg_relation_size('ix_search_documents_tsv')",
    "posts (with TOAST and indexes)": "pg_total_relation_size('posts')",
    "vocabulary (search_terms)": "pg_total_relation_size('search_terms')",
    "database": "pg_database_size(current_database())",
}


async def state(dsn: str, seed: int) -> dict[str, Any]:
    """What the database holds: generated posts (by this generator, by any), documents,
    languages, sizes."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        generated, by_any = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE u.email LIKE $1), count(*) "
            "FROM posts p JOIN users u ON u.id = p.author_id WHERE u.email LIKE $2",
            f"%@{generation_mark(seed)}",
            f"%.{AUTHOR_DOMAIN}",
        )
        visible = await conn.fetchval(
            "SELECT count(*) FROM posts p JOIN threads t ON t.id = p.thread_id "
            "WHERE p.deleted_at IS NULL AND NOT p.hidden AND NOT t.hidden"
        )
        documents = await conn.fetchval("SELECT count(*) FROM search_documents")
        vocabulary_at = await conn.fetchval(
            "SELECT position FROM search_cursors WHERE name = 'vocabulary'"
        )
        last_post = await conn.fetchval("SELECT coalesce(max(id), 0) FROM posts")
        languages = await conn.fetch(
            "SELECT language, count(*) AS n FROM posts GROUP BY 1 ORDER BY 2 DESC"
        )
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM threads) AS threads, (SELECT count(*) FROM users) "
            "AS users, (SELECT count(*) FROM posts) AS posts"
        )
        sizes = {name: await conn.fetchval(f"SELECT {sql}") for name, sql in SIZES.items()}
        settings = {
            r["name"]: r["setting"] + (r["unit"] or "")
            for r in await conn.fetch(
                "SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)",
                [
                    "shared_buffers",
                    "work_mem",
                    "effective_cache_size",
                    "max_parallel_workers_per_gather",
                ],
            )
        }
    finally:
        await conn.close()
    return {
        "generated": generated,
        "generated_otherwise": by_any - generated,
        "visible": visible,
        "documents": documents,
        "vocabulary_done": vocabulary_at is not None and int(vocabulary_at) >= last_post,
        "languages": [(r["language"], r["n"]) for r in languages],
        "counts": dict(counts),
        "sizes": sizes,
        "settings": settings,
    }


# ---------------------------------------------------------------------------- queries

QUERY_LANGUAGES = ("en", "en", "en", "en", "fr", "fr", "fr", "es", "pt", "id", "ru", "ar")
KINDS = ("1 common word", "1 medium word", "1 rare word", "2 words", "3 words", "phrase",
         "exclusion")  # fmt: skip


@dataclass(frozen=True)
class Query:
    kind: str  # one of KINDS, with " + region" when filtered
    text: str
    language: str
    region: str | None

    @property
    def path(self) -> str:
        params = {"q": self.text} | ({"region": self.region} if self.region else {})
        return f"{API}/search?{urlencode(params)}"


def _single(term: str) -> bool:
    return term.isalpha()  # one word as search reads it: no space, hyphen or apostrophe


def query_mix(vocabularies: list[Vocabulary], seed: int = 4) -> dict[str, list[Query]]:
    """Concrete queries of every kind, drawn from the generator's own vocabulary so that
    "common", "medium" and "rare" mean what they say (shares of posts printed with them)."""
    rng = np.random.default_rng(seed)
    lengths = words_per_post(20_000, np.random.default_rng(seed))
    by_code = {v.language.code: v for v in vocabularies}
    bands: dict[str, dict[str, list[str]]] = {}
    for code, v in by_code.items():
        shares = [v.share_of_posts(r, lengths) for r in range(len(v.words))]
        ranked = [(w, s) for w, s in zip(v.words, shares, strict=True) if w in v.domain]
        bands[code] = {
            "common": [w for w, s in ranked if _single(w) and s >= 0.2][:8],
            "medium": [w for w, s in ranked if _single(w) and 0.015 <= s <= 0.05],
            "phrase": [w for w, s in ranked if " " in w and s >= 0.015],
        }
    rare_vocab = vocabularies[0]
    rare = [
        name for i, name in enumerate(rare_vocab.rare)
        if _single(name) and 0.0002 <= rare_vocab.rare_share(i) <= 0.001
    ]  # fmt: skip
    mix: dict[str, list[Query]] = {}
    for filtered in (False, True):
        for kind in KINDS:
            label = kind + (" + region" if filtered else "")
            queries = []
            for code in QUERY_LANGUAGES:
                text = _query_text(kind, bands[code], rare, rng)
                region = None
                if filtered:
                    lang = next(lang for lang in LANGUAGES if lang.code == code)
                    slugs = list(lang.regions)
                    weights = np.array([lang.regions[s] for s in slugs])
                    region = slugs[int(rng.choice(len(slugs), p=weights / weights.sum()))]
                queries.append(Query(label, text, code, region))
            mix[label] = queries
    return mix


def _query_text(
    kind: str, band: dict[str, list[str]], rare: list[str], rng: np.random.Generator
) -> str:
    def pick(words: list[str], n: int = 1) -> list[str]:
        return [str(w) for w in rng.choice(words, n, replace=False)]

    common, medium = band["common"], band["medium"]
    if kind == "1 common word":
        return pick(common)[0]
    if kind == "1 medium word":
        return pick(medium)[0]
    if kind == "1 rare word":
        return pick(rare)[0]
    if kind == "2 words":
        return " ".join(pick(common) + pick(medium))
    if kind == "3 words":
        return " ".join(pick(common) + pick(medium, 2))
    if kind == "phrase":
        return f'"{pick(band["phrase"])[0]}"'
    assert kind == "exclusion"
    return " -".join(pick(common, 2))


@dataclass
class Checked:
    """The first answer to each query of a kind, before any measurement."""

    kind: str
    statuses: list[int] = field(default_factory=list)
    totals: list[str] = field(default_factory=list)  # "1000+" when counting stopped
    error: str = ""


async def check_queries(base: str, mix: dict[str, list[Query]]) -> list[Checked]:
    """Every query once, one at a time: a broken query shows here (and it warms up)."""
    checked = []
    async with httpx.AsyncClient(base_url=base, timeout=60, trust_env=False) as client:
        for kind, queries in mix.items():
            c = Checked(kind)
            for q in queries:
                r = await client.get(q.path)
                c.statuses.append(r.status_code)
                if r.status_code == 200:
                    body = r.json()
                    c.totals.append(f"{body['total']}{'' if body.get('exact', True) else '+'}")
                else:
                    c.totals.append("-")
                    c.error = c.error or f"{q.path} -> {r.status_code}: {r.text[:300]}"
            checked.append(c)
    return checked


WRK_SCRIPT = r"""
-- Each connection cycles through the queries, starting at its own place in the list.
local PATHS = "@PATHS@"

function prepare()
  requests = {}
  for _, p in ipairs(lines(DIR .. "/" .. PATHS)) do
    requests[#requests + 1] = wrk.format("GET", p, {Host = HOSTPORT})
  end
  turn = idx
end

function next_request()
  turn = turn % #requests + 1
  return requests[turn]
end
"""


async def measure(
    base: str, label: str, paths: list[str], seconds: float, cpu: CpuMeter, workdir: Path,
    clients: int,
) -> Result:  # fmt: skip
    name = "".join(ch if ch.isalnum() else "-" for ch in label)
    (workdir / f"{name}.txt").write_text("".join(p + "\n" for p in paths))
    result = Result(label, 0, clients)
    script = WRK_SCRIPT.replace("@PATHS@", f"{name}.txt")
    await run_wrk(base, result, workdir, script, seconds, cpu, name=name)
    return result


# ---------------------------------------------------------------------------- driver

MIX = "mix (all of the above)"


async def run_queries(
    args: argparse.Namespace, url: str, postmaster: int, workdir: Path
) -> tuple[dict[str, list[Query]], list[Checked], list[Result]]:
    mix = query_mix([Vocabulary.of(lang) for lang in LANGUAGES])
    everything = [q.path for queries in mix.values() for q in queries]
    np.random.default_rng(5).shuffle(everything)
    secret = secrets.token_urlsafe(48)
    results: list[Result] = []
    async with forum_server(url, secret, args.workers, workdir) as (base, proc):
        say(
            f"forum serve --workers {args.workers}: checking each of {len(everything)} queries once"
        )
        checked = await check_queries(base, mix)
        if not any(s == 200 for c in checked for s in c.statuses):
            say("no query answered 200: nothing to measure")
            return mix, checked, results
        cpu = CpuMeter(proc.pid, postmaster, "wrk")
        say(f"warming up: {args.warmup:g} s of the mix")
        await measure(base, "warm-up", everything, args.warmup, cpu, workdir, args.clients)
        for kind, queries in mix.items():
            say(f"{kind}: {args.duration:g} s, {args.clients} clients")
            paths = [q.path for q in queries]
            results.append(
                await measure(base, kind, paths, args.duration, cpu, workdir, args.clients)
            )
        say(f"the mix of every kind: {args.mix_duration:g} s")
        results.append(
            await measure(base, MIX, everything, args.mix_duration, cpu, workdir, args.clients)
        )
    return mix, checked, results


async def main_async(args: argparse.Namespace) -> int:
    from forum.db import driver_dsn

    generated: Generated | None = None
    indexed = Indexed()
    with tempfile.TemporaryDirectory(prefix="forum-bench-search-") as tmp:
        workdir = Path(tmp)
        async with scratch_database(args.database_url, workdir, BENCH_DB, keep=args.keep) as db:
            say(f"database: {db.where}; migrating and loading demo data")
            version, postmaster = await prepare(db.url)
            dsn = driver_dsn(db.url)
            now = await state(dsn, args.seed)
            if now["generated"] != args.posts:
                if now["generated"] or now["generated_otherwise"]:
                    say(f"the kept database holds {now['generated']:,} posts generated so and "
                        f"{now['generated_otherwise']:,} otherwise, not {args.posts:,}: "
                        "starting afresh")  # fmt: skip
                    await db.create()
                    version, postmaster = await prepare(db.url)
                generated = await generate(dsn, args.posts, args.seed)
                say(f"generated in {generated.seconds:.1f} s")
                now = await state(dsn, args.seed)
            else:
                say(f"reusing the {args.posts:,} posts generated earlier (--keep)")
            if generated or args.reindex or now["documents"] != now["visible"]:
                say(f"indexing with {args.index_workers} workers, {args.batch:,} ids a batch")
                indexed.documents, indexed.seconds = await build_documents(
                    db.url, args.index_workers, args.batch
                )
                say(f"indexed {indexed.documents:,} documents in {indexed.seconds:.1f} s")
            if generated or args.reindex or not now["vocabulary_done"]:
                say("building the vocabulary for suggestions")
                indexed.vocabulary_seconds = await build_vocabulary(db.url, fresh=args.reindex)
            say("moving the window of newest documents; VACUUM (ANALYZE) search_documents")
            indexed.window_seconds = await move_window(db.url)
            indexed.vacuum_seconds = await vacuum(dsn)
            now = await state(dsn, args.seed)
            mix: dict[str, list[Query]] = {}
            checked: list[Checked] = []
            results: list[Result] = []
            if not args.no_queries:
                mix, checked, results = await run_queries(args, db.url, postmaster, workdir)
            if args.keep:
                say(f"kept: {db.where}")
    lines = header(
        db.where,
        version,
        f"generator: {wrk_label()}, {args.clients} connections; server: forum serve "
        f"--workers {args.workers}, search backend postgres",
        "postgresql: " + ", ".join(f"{k} {v}" for k, v in now["settings"].items()),
    )
    return report(args, lines, now, generated, indexed, mix, checked, results)


def _mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


COLUMNS = ("query", "queries", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors",
           "cpu ms/req", "app", "pg", "cpu other")  # fmt: skip


def report(
    args: argparse.Namespace,
    lines: list[str],
    now: dict[str, Any],
    generated: Generated | None,
    indexed: Indexed,
    mix: dict[str, list[Query]],
    checked: list[Checked],
    results: list[Result],
) -> int:
    print("\n" + "\n".join(lines) + "\n")
    counts, total = now["counts"], max(1, now["counts"]["posts"])
    languages = ", ".join(f"{code} {n / total:.1%}" for code, n in now["languages"])
    print(
        f"data: {now['generated']:,} generated posts ({counts['posts']:,} with the demo's), "
        f"{counts['threads']:,} threads, {counts['users']:,} members; {now['documents']:,} "
        f"search documents ({now['visible']:,} visible posts)\n  languages: {languages}"
    )
    if generated:
        print(
            f"generation: {generated.seconds:.1f} s for {generated.posts:,} posts "
            f"({generated.posts / generated.seconds:,.0f} posts/s; drawing, texts and COPY "
            f"together), {generated.text_bytes / 1e6:,.0f} MB of body_source + body_html"
        )
    else:
        print("generation: none (--keep: the database was generated earlier)")
    if indexed.seconds:
        print(
            f"indexing: {indexed.documents:,} documents in {indexed.seconds:.1f} s = "
            f"{indexed.rate:,.0f} documents/s (forum.documents.refresh, {args.index_workers} "
            f"workers, {args.batch:,} post ids per transaction)"
        )
    else:
        print("indexing: none (the documents were built earlier; --reindex rebuilds them)")
    print(
        f"then: vocabulary for suggestions {indexed.vocabulary_seconds:.1f} s; window of "
        f"newest documents moved {indexed.window_seconds:.1f} s; VACUUM (ANALYZE) "
        f"search_documents + ANALYZE {indexed.vacuum_seconds:.1f} s"
    )
    print("sizes: " + ", ".join(f"{k} {_mib(v)}" for k, v in now["sizes"].items()))
    if not checked:
        print("\nqueries: not run (--no-queries)")
        return 0

    print("\nfirst answers (each query once, one at a time, before measuring):")
    for c in checked:
        first = mix[c.kind][0]
        where = f" region={first.region}" if first.region else ""
        bad = sum(s != 200 for s in c.statuses)
        print(
            f"  {c.kind:<26} {c.statuses[0]} total {c.totals[0]:>6} for {first.text!r}{where}; "
            f"all {len(c.statuses)} totals: {' '.join(c.totals)}"
            + (f"; {bad} NOT 200: {c.error}" if bad else "")
        )
    if not results:
        print("\n!!! no query answered 200: nothing measured !!!")
        return 1

    rows = [
        (r.operation, str(len(mix.get(r.operation, [])) or sum(map(len, mix.values()))),
         str(r.requests), f"{r.rate:.0f}", f"{r.percentile_ms(50):.1f}",
         f"{r.percentile_ms(95):.1f}", f"{r.percentile_ms(99):.1f}", str(r.errors),
         f"{r.cost_ms:.2f}", f"{r.group_ms('server'):.2f}", f"{r.group_ms('postgres'):.2f}",
         f"{r.cpu.get('other', 0.0):.2f}")
        for r in results
    ]  # fmt: skip
    widths = [max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(COLUMNS)]

    def line(values: tuple[str, ...]) -> str:
        cells = zip(values, widths, strict=True)
        return "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(cells))

    print()
    print(line(COLUMNS))
    for row in rows:
        print(line(row))
    print(
        f"({args.clients} clients, {args.duration:g} s per kind, {args.mix_duration:g} s for "
        "the mix; latency client side over loopback; cpu ms/req: server + PostgreSQL CPU time "
        "per request, split into app (the forum's processes) and pg (PostgreSQL's); cpu "
        "other: cores busy outside the server, PostgreSQL and wrk)\n"
    )
    failed = 0
    for r in results:
        if r.errors:
            failed = 1
            print(
                f"!!! ERRORS: {r.operation}: {r.non2xx} non-2xx, {r.socket_errors} socket "
                "errors. THESE FIGURES ARE NOT VALID. !!!"
            )
        if r.cpu.get("other", 0.0) > 0.25:
            print(
                f"warning: {r.operation}: other processes kept {r.cpu['other']:.2f} cores "
                "busy; the machine was not quiet"
            )
    size = 100_000 if args.posts <= 300_000 else 1_000_000
    p50_goal, p95_goal = GOALS_MS[size]
    mixed = results[-1]
    met = mixed.percentile_ms(50) < p50_goal and mixed.percentile_ms(95) < p95_goal
    print(
        f"goal at {size:,} posts: p50 < {p50_goal:g} ms and p95 < {p95_goal:g} ms over the mix: "
        f"{'met' if met else 'NOT MET'} (p50 {mixed.percentile_ms(50):.1f}, "
        f"p95 {mixed.percentile_ms(95):.1f})"
    )
    slow = [
        r.operation for r in results[:-1]
        if r.percentile_ms(50) >= p50_goal or r.percentile_ms(95) >= p95_goal
    ]  # fmt: skip
    print("  kinds over the goal on their own: " + (", ".join(slow) if slow else "none"))
    return failed


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--posts", type=int, default=100_000, help="posts to generate (100000)")
    add_database_arguments(p, BENCH_DB, keep=True)
    p.add_argument(
        "--keep", action="store_true",
        help="keep the database at the end, and reuse it when it holds --posts generated "
        "posts (the embedded server's data then stays in the user's cache directory)",
    )  # fmt: skip
    p.add_argument(
        "--reindex", action="store_true", help="rebuild the documents of a kept database"
    )
    p.add_argument("--workers", type=int, default=2, help="forum serve workers (2)")
    p.add_argument("--index-workers", type=int, default=2, help="concurrent indexing batches (2)")
    p.add_argument("--batch", type=int, default=5_000, help="post ids per indexing batch (5000)")
    p.add_argument("--clients", type=int, default=8, help="concurrent search clients (8)")
    p.add_argument("--duration", type=float, default=5, help="seconds per query kind (5)")
    p.add_argument("--mix-duration", type=float, default=15, help="seconds of the mix (15)")
    p.add_argument("--warmup", type=float, default=5, help="seconds of the mix first (5)")
    p.add_argument("--seed", type=int, default=2026, help="of the generated data (2026)")
    p.add_argument("--no-queries", action="store_true", help="generate and index only")
    args = p.parse_args(argv)
    if min(args.posts, args.workers, args.index_workers, args.batch, args.clients) < 1:
        p.error("--posts, --workers, --index-workers, --batch and --clients must be at least 1")
    if not args.no_queries and wrk_label() is None:
        p.error("wrk is not installed (apt-get install -y wrk)")
    return args


def main() -> int:
    return asyncio.run(main_async(parse_args()))


if __name__ == "__main__":
    sys.exit(main())
