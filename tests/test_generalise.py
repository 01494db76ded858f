"""Detection that generalises (issue 15): each category of real-news wording, in sentences
written for these tests. Excerpts are analysed as a body under an empty title, as the
held-out and real-news corpora are."""

from __future__ import annotations

import pytest

from crawler.analysis.classify import Classification, Classifier
from crawler.analysis.matcher import Matcher


def run(clf: Classifier, matcher: Matcher, body: str, title: str = "") -> Classification:
    return clf.classify(title, body, matcher.find_in_article(title, body))


# --------------------------------------------------------------------------- talks


@pytest.mark.parametrize(
    "body",
    [
        # a wish, in the present, with the object after it
        "قال وزير الدفاع الأرميني إن بلاده تود امتلاك منظومة إس-400 في السنوات المقبلة.",
        # an offer under study, with the supply as its purpose
        "قال مصدر إن الحكومة تدرس عرضاً روسياً لتزويدها بمنظومة إس-400 ضمن حزمة أوسع.",
        # a formal request submitted (past, with the preposition joined to the noun)
        "ذكرت الوزارة أن ميانمار قدمت طلباً رسمياً للحصول على منظومات إس-400.",
        # a request not yet made is still a step in the talks
        "أوضح الرئيس أن بلاده لم تتقدم بعد بطلب رسمي لشراء إس-400 من موسكو.",
        # seeking, with a dual subject between the verb and its object
        "وتسعى الحكومتان إلى اقتناء منظومة إس-400 قبل نهاية العقد.",
    ],
)
def test_talks_in_their_word_forms(clf: Classifier, matcher: Matcher, body: str) -> None:
    assert run(clf, matcher, body).topics == ["negotiation"]


def test_market_demand_is_no_request(clf: Classifier, matcher: Matcher) -> None:
    body = "قالت الشركة إن الطلب على منظومات إس-400 ارتفع في الأسواق الآسيوية."
    assert "negotiation" not in run(clf, matcher, body).topics


def test_about_to_sign_is_a_contract_only(clf: Classifier, matcher: Matcher) -> None:
    body = "أفادت مصادر بأن البلدين يقتربان من توقيع عقد لشراء منظومة إس-400 الشهر المقبل."
    assert run(clf, matcher, body).topics == ["contract"]


def test_talks_about_delivery_terms_are_talks(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "بدأت في العاصمة جولة من المحادثات بشأن منظومة إس-400. "
        "وقال مسؤول إن المفاوضات تتناول الأسعار وجداول التسليم."
    )
    assert run(clf, matcher, body).topics == ["negotiation"]


def test_a_conditional_plan_is_no_talks(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "حذرت واشنطن من أن ماليزيا ستواجه عقوبات بموجب قانون كاتسا إذا مضت في خطط شراء "
        "منظومة إس-400."
    )
    assert run(clf, matcher, body).topics == ["sanction"]


# --------------------------------------------------------------------------- deliveries


@pytest.mark.parametrize(
    "body",
    [
        # a loaded plane landing
        "هبطت في قاعدة جوية طائرة شحن محملة بمكونات منظومة إس-400 صباح اليوم.",
        # arrival of a batch, the batch after the verb
        "وصلت إلى الميناء الدفعة الثانية من منظومة إس-400 وفق وزارة الدفاع.",
        # handing over, the seller as subject
        "سلمت موسكو الجيش البيلاروسي أول كتيبة من منظومات إس-400.",
        # receiving, future with the joined prefix
        "قال الوزير إن بلاده ستستلم الدفعة الأولى من منظومة إس-400 في الربيع.",
    ],
)
def test_deliveries_in_their_word_forms(clf: Classifier, matcher: Matcher, body: str) -> None:
    assert run(clf, matcher, body).topics == ["delivery"]


def test_an_advance_payment_received_is_no_delivery(clf: Classifier, matcher: Matcher) -> None:
    body = "أعلنت أنقرة توقيع صفقة منظومة إس-400، مؤكدة أن موسكو تسلمت دفعة مقدمة من قيمة العقد."
    assert run(clf, matcher, body).topics == ["contract"]


def test_shipping_services_and_supply_chains_are_no_delivery(
    clf: Classifier, matcher: Matcher
) -> None:
    body = (
        "فرضت وزارة الخزانة الأمريكية عقوبات على شركات سهلت صفقات مؤسسة روسوبورون إكسبورت. "
        "وقالت الوزارة إن بعض الشركات قدمت خدمات شحن لصالح الصفقات، "
        "وإن أخرى ستخرج من سلسلة توريد المقاتلات."
    )
    assert run(clf, matcher, body).topics == ["sanction"]


def test_a_delay_to_a_later_year_is_current_news(clf: Classifier, matcher: Matcher) -> None:
    body = "أبلغت موسكو الشركاء أن تسليم آخر أفواج منظومة إس-400 سيتأخر إلى عام 2027."
    assert run(clf, matcher, body).topics == ["delivery"]


# --------------------------------------------------------------------------- references back


def test_a_sentence_that_refers_back_states_a_development(
    clf: Classifier, matcher: Matcher
) -> None:
    body = (
        "توصل البلدان إلى اتفاق لشراء منظومة إس-400 خلال القمة. "
        "وأضاف البيان أن الجانبين يجريان مباحثات حول تصنيع أجزاء من المنظومة محلياً."
    )
    assert set(run(clf, matcher, body).topics) == {"contract", "negotiation"}


def test_an_indefinite_noun_does_not_refer_back(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "قالت مؤسسة روسوبورون إكسبورت إنها وقعت عقوداً بقيمة مليار دولار في المعرض. "
        "وأكد مسؤول في المؤسسة أن الشركة راضية عن النتائج. "
        "وأشار إلى أن المحادثات مستمرة مع دول أخرى بشأن صفقات أكبر."
    )
    assert run(clf, matcher, body).topics == ["contract"]


# --------------------------------------------------------------------------- background


def test_events_dated_by_another_are_background(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "قدم نواب في الكونغرس مشروع قانون لفرض عقوبات على أنقرة بسبب منظومة إس-400. "
        "ويعد المشروع أشد تهديد تواجهه أنقرة منذ وصول بطاريات إس-400 إلى أراضيها."
    )
    assert run(clf, matcher, body).topics == ["sanction"]


def test_receipts_of_past_years_are_background(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "وقعت القاهرة عقداً لشراء منظومة إس-400 وفق مصادر رسمية. "
        "وتعد مصر من كبار مستوردي السلاح، إذ تسلمت خلال السنوات الماضية منظومات إس-400 أخرى."
    )
    assert run(clf, matcher, body).topics == ["contract"]


# --------------------------------------------------------------------------- furniture


@pytest.mark.parametrize(
    "chrome",
    [
        "#روسيا #S400",
        "أخبار العالم | آسيا",
        "آخر تحديث: منذ 4 ساعات",
        "2024/03/11 - 09:30",
        "كلمات مفتاحية: الدفاع الجوي",
    ],
)
def test_page_furniture_is_never_the_lead(clf: Classifier, matcher: Matcher, chrome: str) -> None:
    # The lead states the delivery without naming the system: only as the lead does it
    # weigh enough.
    lead = "وصلت الدفعة الأولى من المنظومات الروسية إلى قاعدة جوية قرب العاصمة."
    named = "وتعد منظومة إس-400 من أحدث أنظمة الدفاع الجوي في العالم."
    c = run(clf, matcher, chrome + "\n" + lead + "\n" + named)
    assert c.topics == ["delivery"]
    assert c.evidence["delivery"] == lead


def test_the_headline_repeated_in_the_body_is_not_the_lead(
    clf: Classifier, matcher: Matcher
) -> None:
    title = "الجيش الصربي يعلن خطة لتحديث دفاعاته الجوية"
    body = (
        title
        + "\nوقالت وزارة الدفاع إنها تسلمت الدفعة الأولى من المنظومات الروسية اليوم."
        + "\nوتعد منظومة إس-400 من أحدث أنظمة الدفاع الجوي في العالم."
    )
    c = run(clf, matcher, body, title)
    assert c.topics == ["delivery"]
    assert c.evidence["delivery"].startswith("وقالت وزارة الدفاع")


# --------------------------------------------------------------------------- countries


def test_states_listed_as_past_targets_are_no_parties(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "أدرجت وزارة الخزانة الأمريكية مؤسسة روسوبورون إكسبورت على قائمة العقوبات بسبب "
        "تعاملاتها مع إيران وسوريا وكوريا الشمالية."
    )
    assert run(clf, matcher, body).countries == ["Russia", "United States"]


def test_a_state_named_for_comparison_is_no_party(clf: Classifier, matcher: Matcher) -> None:
    body = "وقعت الهند عقداً لشراء منظومة إس-400 لتصبح المشتري الثالث بعد الصين."
    assert run(clf, matcher, body).countries == ["India", "Russia"]


def test_a_quoted_credit_in_the_dateline_is_no_party(clf: Classifier, matcher: Matcher) -> None:
    body = 'الرباط - "المغرب اليوم": تسلمت الجزائر بطاريات من منظومة إس-400 وفق مصادر.'
    assert run(clf, matcher, body).countries == ["Algeria", "Russia"]


def test_the_seller_is_a_party_of_a_sanction_over_its_system(
    clf: Classifier, matcher: Matcher
) -> None:
    body = "فرضت واشنطن عقوبات على تركيا بسبب اقتنائها صواريخ إس-400 الروسية."
    c = run(clf, matcher, body)
    assert c.topics == ["sanction"]
    assert c.countries == ["Russia", "Turkey", "United States"]


# --------------------------------------------------------------------------- untold, recaps


def test_a_date_nobody_gave_is_no_delivery(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "أعلنت موسكو وبغداد توقيع عقد لتوريد منظومة إس-400، من دون أن تكشفا عن قيمة العقد "
        "أو موعد التسليم."
    )
    assert run(clf, matcher, body).topics == ["contract"]


def test_a_marked_recap_is_background(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "وصلت الدفعة الثانية من منظومة إس-400 إلى الصين وفق وسائل إعلام رسمية. "
        "وقالت الوسائل إن المعدات نقلت بحراً. "
        "يذكر أن بكين كانت أول عاصمة أجنبية تتعاقد على المنظومة."
    )
    assert run(clf, matcher, body).topics == ["delivery"]


def test_presenting_a_deal_to_a_committee_is_no_offer(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "وقعت إندونيسيا عقد شراء منظومة إس-400 وفق وزارة الدفاع. "
        "وقال مسؤول إن الوزارة ستعرض تفاصيل الصفقة على البرلمان الأسبوع المقبل."
    )
    assert run(clf, matcher, body).topics == ["contract"]


# --------------------------------------------------------------------------- sanctions


def test_a_warning_under_the_law_is_a_sanction_wherever_it_stands(
    clf: Classifier, matcher: Matcher
) -> None:
    body = (
        "قال وزير الدفاع المصري إن بلاده تسعى لشراء منظومة إس-400 لتعزيز دفاعاتها. "
        "وأضاف أن الأمر يحتاج إلى وقت. "
        "وفي واشنطن، حذرت الخارجية الأمريكية من أن القاهرة قد تواجه عقوبات بموجب قانون كاتسا."
    )
    c = run(clf, matcher, body)
    assert c.topics == ["negotiation", "sanction"]
    assert "United States" in c.countries


def test_a_hope_not_to_be_touched_by_the_law_is_no_sanction(
    clf: Classifier, matcher: Matcher
) -> None:
    body = (
        "قال وزير الدفاع المصري إن بلاده تسعى لشراء منظومة إس-400 لتعزيز دفاعاتها. "
        "وأضاف أن الأمر يحتاج إلى وقت. "
        "وأعرب عن أمله ألا تتأثر الصفقة بقانون العقوبات الأمريكي المعروف باسم كاتسا."
    )
    assert run(clf, matcher, body).topics == ["negotiation"]


def test_a_warning_of_consequences_is_a_sanction_threat(clf: Classifier, matcher: Matcher) -> None:
    body = "حذر سيناتور أمريكي من عواقب خطيرة إذا شغلت أنقرة منظومة إس-400 الروسية."
    c = run(clf, matcher, body)
    assert c.topics == ["sanction"]
    assert c.countries == ["Russia", "Turkey", "United States"]


# --------------------------------------------------------------------------- look-alike events


def test_an_onlookers_guess_is_no_act(clf: Classifier, matcher: Matcher) -> None:
    body = "يرى محللون عسكريون أن الكويت قد تطلب منظومة إس-400 إذا تعثرت صفقات أخرى."
    assert run(clf, matcher, body).topics == ["other"]


def test_experts_who_arrive_are_no_guess(clf: Classifier, matcher: Matcher) -> None:
    body = "وصل خبراء روس إلى الكويت وتسلم الجيش الكويتي الدفعة الأولى من منظومة إس-400."
    assert run(clf, matcher, body).topics == ["delivery"]


def test_too_early_to_speak_of_a_contract_is_talks(clf: Classifier, matcher: Matcher) -> None:
    body = "قال مسؤول روسي إنه من السابق لأوانه الحديث عن عقد لتوريد إس-400 إلى الكويت."
    assert run(clf, matcher, body).topics == ["negotiation"]


def test_a_visiting_minister_is_no_shipment(clf: Classifier, matcher: Matcher) -> None:
    body = "وصل وزير الدفاع الروسي إلى الدوحة لبحث تسليم منظومة إس-400 مع المسؤولين القطريين."
    assert run(clf, matcher, body).topics == ["negotiation"]


def test_handing_over_a_letter_is_no_delivery(clf: Classifier, matcher: Matcher) -> None:
    body = "سلم السفير الروسي رسالة إلى الرئيس الجزائري تتعلق بمنظومة إس-400."
    assert run(clf, matcher, body).topics == ["other"]


def test_a_story_told_only_as_a_recap_keeps_its_development(
    clf: Classifier, matcher: Matcher
) -> None:
    body = "وقعت الهند وروسيا في أكتوبر 2018 عقداً لشراء خمسة أفواج من منظومة إس-400."
    assert run(clf, matcher, body).topics == ["contract"]
    # ... but not beside newer news: then the recap is background.
    newer = "بدأت روسيا تسليم الفوج الرابع من منظومة إس-400 إلى الهند. " + body
    assert run(clf, matcher, newer).topics == ["delivery"]


@pytest.mark.parametrize(
    "body",
    [
        "قال مدير روسوبورون إكسبورت إن المؤسسة وقعت منذ عام 2000 عقوداً بقيمة تتجاوز 90 "
        "مليار دولار، وإن محفظة طلباتها تبلغ 40 مليار دولار.",
        "بلغ حجم العقود الموقعة مع روسوبورون إكسبورت العام الماضي 8 مليارات دولار.",
    ],
)
def test_an_exporters_totals_are_no_contract(clf: Classifier, matcher: Matcher, body: str) -> None:
    assert run(clf, matcher, body).topics == ["other"]


def test_american_sanctions_name_the_sanctioner(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "قالت أنقرة إن العقوبات الأمريكية المفروضة بسبب منظومة إس-400 الروسية غير مقبولة، "
        "ودعت إلى رفعها."
    )
    c = run(clf, matcher, body)
    assert c.topics == ["sanction"]
    assert "United States" in c.countries


def test_a_read_also_link_is_never_the_lead(clf: Classifier, matcher: Matcher) -> None:
    link = (
        "اقرأ أيضا: وزير الخارجية يبحث مع نظيره في العاصمة ملفات التعاون الاقتصادي "
        "والعسكري والتجاري بين البلدين خلال زيارة تستمر ثلاثة أيام"
    )
    lead = "وصلت الدفعة الأولى من المنظومات الروسية إلى قاعدة جوية قرب العاصمة."
    named = "وتعد منظومة إس-400 من أحدث أنظمة الدفاع الجوي في العالم."
    c = run(clf, matcher, link + "\n" + lead + "\n" + named)
    assert c.evidence["delivery"] == lead


def test_a_headline_split_at_two_dots_stays_one_sentence(clf: Classifier, matcher: Matcher) -> None:
    body = "منظومة إس-400 .. الهند تتسلم الدفعة الثانية من موسكو"
    c = run(clf, matcher, body)
    assert c.topics == ["delivery"]
    assert c.evidence["delivery"] == body


def test_obtaining_a_batch_is_a_delivery_unless_it_is_the_contracts_content(
    clf: Classifier, matcher: Matcher
) -> None:
    got = "حصلت مصر على الدفعة الأولى من منظومة إس-400 وفق مصادر عسكرية."
    assert run(clf, matcher, got).topics == ["delivery"]
    content = "وقعت مصر وروسيا عقداً تحصل القاهرة بموجبه على دفعة من منظومة إس-400."
    assert run(clf, matcher, content).topics == ["contract"]


# --------------------------------------------------------------------------- round 2: datelines


@pytest.mark.parametrize(
    "dateline",
    [
        "أنقرة - (وكالات)",
        "نيودلهي – «صحيفة الفجر» / ترجمة",
        "موسكو - خاص",
        "بيروت (رويترز)",
        "الجزائر – سبوتنيك:",
        "دبي – «الموقع.نت» / وكالات",
    ],
)
def test_a_dateline_on_its_own_line_is_not_the_lead(
    clf: Classifier, matcher: Matcher, dateline: str
) -> None:
    lead = "أكد وزير الدفاع أن بلاده وقعت عقداً جديداً مع موسكو لشراء دفعة إضافية من المنظومة."
    body = dateline + "\n" + lead + "\nوكانت البلاد قد تسلمت أولى بطاريات إس-400 قبل عامين."
    c = run(clf, matcher, body)
    assert c.topics == ["contract"]
    assert c.evidence["contract"] == lead


# --------------------------------------------------------------------------- round 2: own forces


@pytest.mark.parametrize(
    "body",
    [
        # the maker's own forces fly a battery to their base abroad
        "أفادت وزارة الدفاع الروسية بأن بطارية إس-400 نقلت جواً إلى قاعدتها في طرطوس لحماية قواتها.",
        # moved by sea to the maker's own territory
        "قال الأسطول الروسي إن وحدات من منظومة إس-400 نقلت بحراً إلى جزر الكوريل.",
    ],
)
def test_the_makers_own_forces_moving_units_is_no_delivery(
    clf: Classifier, matcher: Matcher, body: str
) -> None:
    assert run(clf, matcher, body).topics == ["other"]


def test_units_moved_to_a_buyer_are_a_delivery(clf: Classifier, matcher: Matcher) -> None:
    body = "ذكرت مصادر أن مكونات منظومة إس-400 نقلت جواً من روسيا إلى الصين على متن طائرات شحن."
    assert run(clf, matcher, body).topics == ["delivery"]


@pytest.mark.parametrize(
    "body",
    [
        "ويصل مدى رادار منظومة إس-400 إلى 600 كيلومتر وفق الشركة المصنعة.",
        "وتصل قيمة الصواريخ التي تطلقها منظومة إس-400 إلى ملايين الدولارات للطلقة.",
    ],
)
def test_a_range_or_a_figure_that_reaches_is_no_arrival(
    clf: Classifier, matcher: Matcher, body: str
) -> None:
    assert "delivery" not in run(clf, matcher, body).topics


# --------------------------------------------------------------------------- round 2: arrivals


@pytest.mark.parametrize(
    "body",
    [
        "قال رئيس الأركان إن بطاريات إس-400 التي اشترتها بلاده من روسيا وصلت إلى أراضيها.",
        "أعلنت الحكومة أن الشحنة الأخيرة من منظومة إس-400 وصلت إلى الميناء الجنوبي صباح الأحد.",
        # masculine, in the future
        "قال رئيس الأركان إن الفوج الأول من منظومة إس-400 سيصل إلى أراضي البلاد قبل الصيف.",
    ],
)
def test_an_arrival_with_what_arrives_before_the_verb(
    clf: Classifier, matcher: Matcher, body: str
) -> None:
    assert run(clf, matcher, body).topics == ["delivery"]


# --------------------------------------------------------------------------- round 2: bans, refusals


@pytest.mark.parametrize(
    "body",
    [
        "أقر البرلمان الأمريكي قانوناً يحظر بيع مقاتلات إف-35 لأي دولة تشغل منظومة إس-400.",
        "تضمن القرار بنداً يمنع تسليم أي أسلحة أمريكية إلى الهند إذا استكملت تشغيل إس-400.",
    ],
)
def test_a_ban_on_handing_weapons_to_the_buyer_is_a_sanction(
    clf: Classifier, matcher: Matcher, body: str
) -> None:
    assert run(clf, matcher, body).topics == ["sanction"]


@pytest.mark.parametrize(
    "body",
    [
        "قال وزير الخارجية إن امتلاك منظومة إس-400 أمر غير قابل للتفاوض مع أي جهة.",
        "أكد الرئيس أن صواريخ إس-400 ليست موضوعاً للتفاوض مع الحلفاء.",
    ],
)
def test_a_matter_closed_to_talks_is_no_negotiation(
    clf: Classifier, matcher: Matcher, body: str
) -> None:
    assert "negotiation" not in run(clf, matcher, body).topics


def test_a_short_lead_after_a_place_and_a_dash_is_no_dateline(
    clf: Classifier, matcher: Matcher
) -> None:
    body = "موسكو - أعلنت روسيا تسليم بطاريات إس-400\nوتعد المنظومة من أحدث أنظمة الدفاع الجوي."
    c = run(clf, matcher, body)
    assert c.topics == ["delivery"]
    assert c.evidence["delivery"] == "موسكو - أعلنت روسيا تسليم بطاريات إس-400"


def test_parties_talking_over_a_matter_are_in_talks(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "أعلنت روسيا والجزائر إبرام عقد لشراء منظومة إس-400. "
        "وذكر مسؤول أن البلدين يتباحثان حول جدول سداد قيمة الصفقة وتدريب الأطقم."
    )
    assert run(clf, matcher, body).topics == ["contract", "negotiation"]


# --------------------------------------------------------------------------- round 2: concessions


@pytest.mark.parametrize(
    "body",
    [
        # the warning conceded reaches past the passing window, to the end of the clause
        "أبرمت مصر وروسيا عقداً لشراء منظومة إس-400 رغم تحذيرات أطلقها مسؤولون أمريكيون من أن "
        "الصفقة قد تعرض القاهرة لعقوبات بموجب قانون كاتسا.",
        "وقعت فيتنام عقداً لشراء بطاريات إس-400 على الرغم من تلويح واشنطن مراراً خلال الأشهر "
        "الماضية بفرض عقوبات عليها.",
    ],
)
def test_a_conceded_sanction_threat_is_context(
    clf: Classifier, matcher: Matcher, body: str
) -> None:
    assert run(clf, matcher, body).topics == ["contract"]


def test_a_sanction_after_the_concession_still_counts(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "وقعت فيتنام عقداً لشراء منظومة إس-400 رغم الضغوط، وحذرت واشنطن من أنها ستفرض "
        "عقوبات عليها بموجب قانون كاتسا."
    )
    assert run(clf, matcher, body).topics == ["contract", "sanction"]


def test_the_law_named_once_is_referred_back_to(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "اشترت إندونيسيا منظومة إس-400 من روسيا العام الماضي رغم تحذيرات من قانون كاتسا.\n"
        "وقال متحدث باسم السفارة الأمريكية في جاكرتا إن أي إعفاء من القانون سيدرس بعناية.\n"
        "وتملك جاكرتا أسطولاً من المقاتلات الروسية."
    )
    assert "sanction" in run(clf, matcher, body).topics


# --------------------------------------------------------------------------- round 2: two developments


@pytest.mark.parametrize(
    "second",
    [
        "وأضاف الوزير أن المحادثات مع الجانب الروسي تتناول أيضاً نقل تقنيات التصنيع.",
        "وأشار إلى أن بلاده تتفاوض كذلك على تدريب أطقم محلية في روسيا.",
    ],
)
def test_the_leads_speaker_going_on_tells_a_second_development(
    clf: Classifier, matcher: Matcher, second: str
) -> None:
    body = (
        "صرح وزير الدفاع الصربي بأن بلاده ستوقع قريباً جداً عقداً لشراء منظومة دفاع جوي روسية.\n"
        + second
        + "\nوكانت دول عدة قد اشترت منظومة إس-400 خلال العقد الماضي."
    )
    assert run(clf, matcher, body).topics == ["contract", "negotiation"]


def test_a_new_speaker_does_not_go_on_with_the_lead(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "أعلنت مؤسسة روسوبورون إكسبورت توقيع عقود تصدير بقيمة ملياري دولار في معرض دولي.\n"
        "وأوضح مسؤول في المؤسسة أن العقود تشمل توريد مروحيات ومعدات دفاع جوي."
    )
    assert run(clf, matcher, body).topics == ["contract"]


def test_getting_round_sanctions_tells_of_none(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "قالت مؤسسة روسوبورون إكسبورت إنها تجري محادثات مع عدة دول لبيع منظومات دفاع جوي.\n"
        "وأضاف مديرها أن المؤسسة تقترح الدفع بالعملات المحلية للالتفاف على القيود المصرفية "
        "التي تفرضها العقوبات الغربية."
    )
    assert run(clf, matcher, body).topics == ["negotiation"]


# --------------------------------------------------------------------------- round 2: parties


def test_a_recap_that_names_the_system_names_no_parties(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "قال الرئيس الصربي إن بلاده ستوقع قريباً عقداً مع روسيا لشراء منظومة دفاع جوي.\n"
        "وكانت الهند قد وقعت عام 2018 عقداً لشراء منظومة إس-400، ما دفع واشنطن إلى التلويح "
        "بعقوبات عليها."
    )
    c = run(clf, matcher, body)
    assert c.topics == ["contract"]
    assert c.countries == ["Russia", "Serbia"]


def test_the_seller_a_test_firing_names_as_origin_is_no_party(
    clf: Classifier, matcher: Matcher
) -> None:
    body = "أجرى الجيش الجزائري تجربة إطلاق من منظومة إس-400 التي اشتراها من روسيا قرب وهران."
    c = run(clf, matcher, body)
    assert c.topics == ["other"]
    assert c.countries == ["Algeria"]


def test_a_deals_adjective_names_a_party(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "أعلن مسؤول روسي أن تسليم آخر بطاريتين من الصفقة المصرية سيتم في الربيع.\n"
        "وتعد منظومة إس-400 من أحدث منظومات الدفاع الجوي الروسية."
    )
    c = run(clf, matcher, body)
    assert c.topics == ["delivery"]
    assert c.countries == ["Egypt", "Russia"]


def test_the_sanctions_law_as_a_deals_backdrop_is_no_party(
    clf: Classifier, matcher: Matcher
) -> None:
    body = "وقعت إندونيسيا عقداً لشراء منظومة إس-400 رغم احتمال تعرضها لعقوبات بموجب قانون كاتسا."
    c = run(clf, matcher, body)
    assert c.topics == ["contract"]
    assert c.countries == ["Indonesia", "Russia"]


@pytest.mark.parametrize(
    "body",
    [
        "تتفاوض مصر مع روسيا على شراء منظومة إس-400 لمواجهة إسرائيل في أي نزاع مقبل.",
        "تتفاوض مصر مع روسيا على شراء منظومة إس-400 بعد الاشتباكات الأخيرة مع إسرائيل.",
    ],
)
def test_a_state_the_parties_face_is_no_party(clf: Classifier, matcher: Matcher, body: str) -> None:
    c = run(clf, matcher, body)
    assert c.topics == ["negotiation"]
    assert c.countries == ["Egypt", "Russia"]


def test_an_adjective_after_a_noun_with_a_joined_preposition_names_the_actor(
    clf: Classifier, matcher: Matcher
) -> None:
    body = (
        "فرضت واشنطن عقوبات على وحدة تابعة للجيش الإيراني بسبب شرائها مكونات "
        "منظومة إس-400 من روسيا."
    )
    c = run(clf, matcher, body)
    assert c.topics == ["sanction"]
    assert "Iran" in c.countries


# --------------------------------------------------------------------------- round 2: look-alikes


def test_a_model_named_bare_far_down_a_product_review_is_the_product(matcher: Matcher) -> None:
    body = (
        "أطلقت شركة كورية هاتفها الجديد S400 بشاشة قابلة للطي وكاميرا ثلاثية.\n"
        "ويدعم الجهاز الشحن السريع، وتأتي البطارية بسعة كبيرة تكفي ليومين من الاستخدام "
        "المتواصل، كما يتوفر بثلاثة ألوان هي الأسود والفضي والأخضر الداكن، وتقول الشركة إن "
        "مبيعاته في الأسواق الآسيوية فاقت توقعاتها خلال الأسبوع الأول من طرحه هناك.\n"
        "ويبلغ سعر S400 في الأسواق الخليجية نحو 2500 درهم."
    )
    assert matcher.find_in_article("", body) == []


def test_the_system_named_bare_in_a_defence_story_still_counts(matcher: Matcher) -> None:
    body = (
        "قالت وزارة الدفاع الهندية إن سيارات عسكرية نقلت بطاريات المنظومة إلى الحدود.\n"
        "وأضافت أن S400 باتت جاهزة للعمل."
    )
    assert [m.term for m in matcher.find_in_article("", body)] == ["S-400"]


def test_a_reaction_to_sanctions_is_a_sanction_story(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "طهران - (وكالات)\n"
        "نددت وزارة الخارجية الإيرانية بقرار واشنطن فرض عقوبات على شركات إيرانية، واصفة "
        "إياه بأنه «غير قانوني».\n"
        "وأكد المتحدث أن طهران ستواصل تعاونها الدفاعي مع موسكو، بما في ذلك مباحثات حول "
        "منظومة إس-400."
    )
    assert "sanction" in run(clf, matcher, body).topics


def test_a_concern_voiced_is_no_sanction_threat(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "أنقرة - خاص\n"
        "أجرى الجيش التركي تدريباً على تشغيل منظومة إس-400 قرب العاصمة.\n"
        "وقالت وزارة الدفاع الأمريكية إنها تتابع التدريب بقلق، داعية أنقرة إلى التخلي عن "
        "المنظومة."
    )
    c = run(clf, matcher, body)
    assert c.topics == ["other"]
    assert c.countries == ["Turkey"]


def test_two_parties_discussing_more_than_the_deal_are_in_talks(
    clf: Classifier, matcher: Matcher
) -> None:
    body = (
        "قال مسؤول إن قطر تقترب من توقيع عقد لشراء منظومة إس-400، وإن البلدين يبحثان كذلك "
        "توطين صيانة المنظومة في الدوحة."
    )
    assert run(clf, matcher, body).topics == ["contract", "negotiation"]


def test_any_state_that_receives_the_system_is_a_hypothesis(
    clf: Classifier, matcher: Matcher
) -> None:
    body = "هددت واشنطن بفرض عقوبات على أي دولة تتسلم منظومة إس-400 في المستقبل."
    assert run(clf, matcher, body).topics == ["sanction"]


def test_a_delivery_under_an_older_contract_is_told(clf: Classifier, matcher: Matcher) -> None:
    body = "أعلنت موسكو أنها ستبدأ تسليم بطاريات إس-400 إلى مصر في الربيع بموجب عقد سابق."
    assert "delivery" in run(clf, matcher, body).topics


def test_a_delivery_after_the_contract_is_its_terms(clf: Classifier, matcher: Matcher) -> None:
    body = "وقعت مصر عقداً لشراء منظومة إس-400 على أن يبدأ التسليم بعد عامين."
    assert run(clf, matcher, body).topics == ["contract"]


def test_a_trigger_that_governs_another_weapon_is_about_it(
    clf: Classifier, matcher: Matcher
) -> None:
    body = (
        "أفادت صحيفة محلية بأن الجيش الصربي تسلم مؤخراً منظومات بانتسير الروسية، وبأن "
        "بلغراد تدرس شراء إس-400 لاحقاً."
    )
    assert run(clf, matcher, body).topics == ["negotiation"]


def test_the_target_of_sanctions_and_the_threatener_are_parties(
    clf: Classifier, matcher: Matcher
) -> None:
    body = "جددت تهديدات واشنطن بفرض عقوبات ضد تركيا بسبب منظومة إس-400 الروسية الجدل في أنقرة."
    c = run(clf, matcher, body)
    assert c.topics == ["sanction"]
    assert c.countries == ["Russia", "Turkey", "United States"]


# --------------------------------------------------------------------------- real-news round
# (issue 15, third round: categories found on the rebuilt real-news set, tested here with
# sentences of our own)


def test_qad_before_a_past_verb_is_no_future(clf: Classifier, matcher: Matcher) -> None:
    # "قد" + past verb is "has already": a recap, not a schedule that keeps a sentence current.
    body = (
        "أعلن الجيش الصيني إجراء رمايات تجريبية بمنظومة إس-400 في منطقة صحراوية.\n"
        "ويذكر أن بكين قد تسلمت المنظومة من روسيا قبل سنوات."
    )
    assert "delivery" not in run(clf, matcher, body).topics


def test_the_us_is_no_party_of_a_delivery_it_objects_to(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "أعلنت وزارة الدفاع الهندية وصول الدفعة الأولى من منظومة إس-400 الروسية.\n"
        "وجددت الإدارة الأمريكية اعتراضها على شراء نيودلهي منظومة إس-400."
    )
    got = run(clf, matcher, body)
    assert got.topics == ["delivery"]
    assert "United States" not in got.countries


def test_the_us_selling_another_system_in_the_headline_is_a_party(
    clf: Classifier, matcher: Matcher
) -> None:
    title = "واشنطن توافق على بيع منظومات باتريوت للمغرب"
    body = "وافقت الخارجية الأمريكية على بيع منظومات باتريوت للمغرب بدلا من منظومة إس-400 الروسية."
    assert "United States" in run(clf, matcher, body, title=title).countries


@pytest.mark.parametrize(
    "clause",
    [
        "بالرغم من التهديدات الأمريكية بفرض عقوبات",
        "في تجاهل لتحذيرات أمريكية من عقوبات محتملة",
        "لمواجهة العقوبات الغربية المفروضة عليها",
    ],
)
def test_sanctions_conceded_or_countered_are_no_sanction(
    clf: Classifier, matcher: Matcher, clause: str
) -> None:
    body = f"أعلنت فنزويلا أنها ستواصل شراء منظومات إس-400 من روسيا {clause}."
    assert run(clf, matcher, body).topics == ["negotiation"]


def test_whether_a_deal_was_signed_is_no_contract(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "قال متحدث باسم الخارجية الأمريكية إنه لا يعلم هل تم توقيع صفقة منظومة إس-400 بين"
        " العراق وروسيا أم لا."
    )
    assert "contract" not in run(clf, matcher, body).topics


def test_a_signing_dated_this_month_is_a_recap(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "أكدت نيودلهي أنها تجري مشاورات مع واشنطن بشأن تبعات قانون كاتسا على صفقة إس-400.\n"
        "وكانت الحكومة تأمل في تفادي أي خلاف مع شركائها.\n"
        "ووقعت الهند وروسيا مطلع أكتوبر الجاري عقدا لتوريد خمسة أفواج من منظومة إس-400."
    )
    assert "contract" not in run(clf, matcher, body).topics


def test_a_contract_referred_back_to_states_a_delivery(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "أكد السفير الروسي التزام بلاده بتنفيذ صفقة منظومة إس-400 مع الهند.\n"
        "وأضاف أن الهند ستتلقى قريبا ثلث الشحنات بموجب هذا العقد."
    )
    assert "delivery" in run(clf, matcher, body).topics


def test_a_cookie_notice_is_not_the_lead(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "هذا الموقع يستخدم ملفات تعريف الارتباط لتحسين تجربتك\n"
        "أعلنت الولايات المتحدة فرض عقوبات على مصر بسبب شرائها منظومة دفاع جوي روسية.\n"
        "وكانت القاهرة قد وقعت صفقة إس-400 مع موسكو قبل عامين."
    )
    got = run(clf, matcher, body)
    assert got.topics == ["sanction"]
    assert got.evidence["sanction"].startswith("أعلنت الولايات المتحدة")


def test_the_joined_spelling_of_the_united_states(clf: Classifier, matcher: Matcher) -> None:
    body = "فرضت الولاياتالمتحدة عقوبات على تركيا بسبب شرائها منظومة إس-400 الروسية."
    assert "United States" in run(clf, matcher, body).countries


def test_a_reporters_question_is_no_buyers_inquiry(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "أكد الكرملين أن صفقة منظومة إس-400 مع مصر تسير وفق الجدول المتفق عليه.\n"
        "وقال المتحدث ردا على سؤال حول توريد منظومة إس-400 إلى مصر خلال الأسابيع المقبلة"
        " إن العمل جار."
    )
    assert "negotiation" not in run(clf, matcher, body).topics


def test_a_weekday_date_line_is_furniture(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "الأحد 14 مارس 2021 09:15 ص\n"
        "أعلنت الجزائر أنها تسلمت الدفعة الأولى من منظومة إس-400 الروسية."
    )
    got = run(clf, matcher, body)
    assert got.evidence["delivery"].startswith("أعلنت الجزائر")


def test_a_country_after_the_preposition_of_place_is_no_party(
    clf: Classifier, matcher: Matcher
) -> None:
    body = "نشرت وزارة الدفاع الروسية منظومة إس-400 في قاعدة جوية بسوريا لحماية قواتها هناك."
    assert "Syria" not in run(clf, matcher, body).countries


@pytest.mark.parametrize(
    "rest",
    [
        # a border named through "مع" after its direction
        "لحماية الحدود الشرقية مع تونس",
        # earlier buyers named for comparison
        "لتصبح ثالث دولة تحصل عليها، حيث سبقتها كل من الصين وتركيا",
        # states a deal angers react to it
        "في خطوة قد تثير غضب الولايات المتحدة وباكستان",
    ],
)
def test_states_around_a_deal_are_no_parties(clf: Classifier, matcher: Matcher, rest: str) -> None:
    body = f"أعلنت الجزائر أنها اتفقت مع روسيا على شراء منظومة إس-400 {rest}."
    assert run(clf, matcher, body).countries == ["Algeria", "Russia"]


def test_a_recap_opener_marks_only_what_follows_it(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "وقعت روسيا وفيتنام صفقة منظومة إس-400، وهي صفقة كانت الولايات المتحدة قد حذرت"
        " هانوي مرارا من إبرامها."
    )
    assert "contract" in run(clf, matcher, body).topics


def test_a_list_of_states_a_deal_angers_reacts_as_a_whole(
    clf: Classifier, matcher: Matcher
) -> None:
    body = "وقعت روسيا والهند عقد منظومة إس-400، ما قد يثير غضب الولايات المتحدة والصين وباكستان."
    assert run(clf, matcher, body).countries == ["India", "Russia"]


def test_a_shipment_carried_by_sea_to_the_buyer_is_a_delivery(
    clf: Classifier, matcher: Matcher
) -> None:
    body = (
        "ذكرت صحيفة روسية أن صواريخ منظومة إس-400 كانت تنقل عبر البحر إلى الهند حين تعرضت"
        " السفينة لأضرار."
    )
    got = run(clf, matcher, body)
    assert got.topics == ["delivery"]
    assert got.countries == ["India", "Russia"]


def test_a_head_of_state_by_title_acts_for_the_state(clf: Classifier, matcher: Matcher) -> None:
    body = "وقع العاهل المغربي في موسكو اتفاقا لشراء منظومة إس-400 الروسية."
    assert run(clf, matcher, body).countries == ["Morocco", "Russia"]


def test_a_feminine_adjective_describes_the_head_of_a_construct(
    clf: Classifier, matcher: Matcher
) -> None:
    # "الروسية" agrees with "أنظمة", not with "الدفاع": the tester alone acts in a test.
    body = "أجرت القوات التركية تجربة على أنظمة الدفاع الصاروخية الروسية إس-400 قرب سينوب."
    assert run(clf, matcher, body).countries == ["Turkey"]
    # while a ministry of defence is still its state's
    body = "أعلنت وزارة الدفاع التركية تسلم الدفعة الثانية من منظومة إس-400."
    assert run(clf, matcher, body).countries == ["Russia", "Turkey"]


# One construction a row: the sentence and the topics it must give (round 3).
ROUND3_TOPICS = [
    # A schedule after a recap is news, not more of the recap.
    pytest.param(
        "أعلن السفير الروسي في نيودلهي اليوم أن بلاده ملتزمة بتنفيذ صفقة منظومة إس-400.\n"
        "وتسلمت الهند الدفعة الأولى من منظومة إس-400 في ديسمبر 2021.\n"
        "ومن المقرر أن تتسلم الهند الدفعة الأخيرة من منظومة إس-400 العام المقبل.",
        ["delivery"],
        id="a_schedule_after_a_recap_is_news",
    ),
    # A tally to date is background; the news is the talks.
    pytest.param(
        "أعلنت موسكو أنها تجري محادثات مع فنزويلا بشأن منظومة إس-400.\n"
        "وقامت روسيا بتوريد منظومات إس-400 إلى الصين وتركيا والهند حتى الآن.",
        ["negotiation"],
        id="a_tally_to_date_is_background",
    ),
    # A turn ("لكن") goes on about the system the sentence before named.
    pytest.param(
        "أكد مسؤول روسي أن موسكو تجري محادثات لتزويد فيتنام بمنظومات إس-400.\n"
        "ووقعت هانوي عقد منظومة إس-400 في عام 2019.\n"
        "لكن عمليات التسليم تأجلت مرارا بسبب نقص الطواقم.",
        ["negotiation", "delivery"],
        id="a_turn_goes_on_about_the_system_before_it",
    ),
    # A lead that sets the scene leaves the news to the sentence after it.
    pytest.param(
        "تواصل مصر تحديث ترسانتها العسكرية في ظل التوترات الإقليمية.\n"
        "وتستعد القاهرة لإبرام صفقة كبيرة لشراء أسلحة روسية.\n"
        "وقالت مصادر إن الصفقة تشمل بطاريات من منظومة إس-400.",
        ["contract"],
        id="a_scene_setting_lead_leaves_the_news_to_the_next_sentence",
    ),
    pytest.param(
        "أكد مسؤول روسي أن بلاده بدأت إمداد الجزائر بمنظومة إس-400.",
        ["delivery"],
        id="more_event_words_in_their_forms_1",
    ),
    pytest.param(
        "قالت الوزارة إن روسيا أرسلت الدفعة الثانية من منظومة إس-400 إلى بيلاروسيا.",
        ["delivery"],
        id="more_event_words_in_their_forms_2",
    ),
    pytest.param(
        "أعلن قائد القوات الجوية قرب تسليح الجيش بمنظومات إس-400 الروسية.",
        ["delivery"],
        id="more_event_words_in_their_forms_3",
    ),
    pytest.param(
        "أكد الرئيس أن بلاده ستواصل شراء منظومات إس-400 رغم الضغوط.",
        ["negotiation"],
        id="more_event_words_in_their_forms_4",
    ),
    pytest.param(
        "ذكرت وكالة أن فيتنام اتفقت مع روسيا على شراء منظومة إس-400.",
        ["contract"],
        id="more_event_words_in_their_forms_5",
    ),
    pytest.param(
        "قال مسؤول إن المؤسسة الروسية تعرض على الجزائر استيراد منظومة إس-400.",
        ["negotiation"],
        id="more_event_words_in_their_forms_6",
    ),
    pytest.param(
        "ذكرت صحيفة أن مصر تستعد لإبرام صفقة لشراء منظومة إس-400 من روسيا.",
        ["contract"],
        id="about_to_conclude_and_requests_received_1",
    ),
    pytest.param(
        "قال مدير روسوبورون إكسبورت إن المؤسسة تلقت طلبات من عملاء أجانب.",
        ["negotiation"],
        id="about_to_conclude_and_requests_received_2",
    ),
    pytest.param(
        "قال مسؤول روسي إنه يمكن لروسيا توريد منظومات إس-400 إلى العراق إذا طلبت بغداد ذلك.",
        ["negotiation"],
        id="what_a_seller_can_or_is_ready_to_do_is_an_offer_1",
    ),
    pytest.param(
        "أكدت موسكو أنها مستعدة لتزويد صربيا بمنظومة إس-400.",
        ["negotiation"],
        id="what_a_seller_can_or_is_ready_to_do_is_an_offer_2",
    ),
    pytest.param(
        "قال وزير الدفاع إن بلاده قد تتسلم منظومة إس-400 في وقت قريب.",
        ["delivery"],
        id="qad_before_a_present_verb_stays_a_possibility",
    ),
    pytest.param(
        "تسلمت بيلاروسيا الكتيبة الأولى من منظومة إس-400 هذا الأسبوع.\n"
        "ويرى محللون عسكريون أن استمرار توريد منظومات إس-400 إلى مينسك خلال الأشهر المقبلة"
        " سيعرض الشركات الأوروبية المتعاملة معها لخطر العقوبات.",
        ["delivery"],
        id="an_onlookers_reading_governs_a_long_sentence",
    ),
    pytest.param(
        "أعلن البنتاغون أنه علق الشحنات والتدريبات المرتبطة بتشغيل تركيا لمقاتلات إف-35.\n"
        "وجاء القرار بعد تمسك أنقرة بصفقة منظومة إس-400 الروسية.",
        ["sanction"],
        id="suspending_the_buyers_f35_shipments_is_a_sanction",
    ),
    pytest.param(
        "أعلن الكرملين أن روسيا اتفقت مع الهند على توريد منظومة إس-400 خلال السنوات المقبلة.",
        ["contract"],
        id="agreeing_on_a_supply_is_no_delivery",
    ),
    pytest.param(
        "قال السفير إن فيتنام ستتسلم الكتيبة الأولى من منظومة إس-400 قبل نهاية العام.\n"
        "وكانت موسكو وهانوي قد وقعتا في عام 2019 عقدا لشراء منظومة إس-400.\n"
        "وجرى إبرام الصفقة مع روسوبورون إكسبورت خلال زيارة رسمية.",
        ["delivery"],
        id="a_recap_runs_on_until_a_sentence_marks_now",
    ),
    pytest.param(
        "وقعت روسيا وقطر عقدا لتوريد منظومة إس-400، في خطوة توجت مفاوضات جرت منذ أشهر بين الجانبين.",
        ["contract"],
        id="talks_crowned_by_a_signing_are_its_history",
    ),
    # "على" makes a supply the object of an agreement only right before it.
    pytest.param(
        "قال المتحدث ردا على سؤال حول توريد منظومة إس-400 إلى الهند في الأيام القادمة"
        " إن الشحنات تسير حسب الجدول.",
        ["delivery"],
        id="a_question_about_a_supply_is_still_about_a_supply",
    ),
    pytest.param(
        "أكد مسؤول تركي أن أنقرة وموسكو توصلتا إلى اتفاق من حيث المبدأ بشأن توريد دفعة ثانية"
        " من منظومة إس-400.",
        ["negotiation"],
        id="an_agreement_in_principle_about_a_supply_is_talks",
    ),
    # A demonstrative points back at the story's own system, so the warning counts in full.
    pytest.param(
        "أبدت الولايات المتحدة رفضها حيازة مصر أسلحة روسية مثل إس-400.\n"
        "وحذرت واشنطن القاهرة من عواقب خطيرة في حال تشغيل هذه المنظومة.",
        ["sanction"],
        id="a_warning_over_this_system_is_a_sanction_threat",
    ),
    pytest.param(
        "ذكرت وكالة تاس أن روسيا وافقت على مد الجزائر بمنظومة إس-400 وأسلحة أخرى.",
        ["contract"],
        id="agreeing_to_supply_is_a_contract",
    ),
    pytest.param(
        "قال الرئيس إن بلاده لن تتراجع عن شراء منظومة إس-400 مهما كانت الضغوط.",
        ["negotiation"],
        id="a_vow_not_to_back_down_from_buying_is_talks",
    ),
    pytest.param(
        "قال الرئيس إن بلاده ستتسلم منظومة إس-400 الشهر المقبل، وإنها لن تتراجع عن الصفقة"
        " رغم الضغوط.",
        ["delivery"],
        id="a_vow_not_to_back_down_from_a_made_deal_adds_no_talks",
    ),
    pytest.param(
        "علقت الولايات المتحدة الشحنات المرتبطة بتشغيل تركيا لمقاتلات إف-35 بسبب منظومة إس-400.\n"
        "وترفض أنقرة حتى الآن التراجع عن خطتها لشراء المنظومة الروسية.",
        ["sanction"],
        id="a_stance_held_further_down_is_no_talks",
    ),
    pytest.param(
        "نشر الجيش الهندي مقطعا يظهر إطلاق صاروخ من منظومة إس-400 التي تم تسليمها العام الماضي.",
        ["other"],
        id="a_relative_clause_with_an_auxiliary_describes_the_system",
    ),
]


def test_states_in_a_conceded_clause_are_no_parties(clf: Classifier, matcher: Matcher) -> None:
    body = (
        "فرضت الولايات المتحدة عقوبات على الصين بسبب شرائها منظومة إس-400 الروسية، رغم"
        " المعارضة الأمريكية لتركيا في سعيها لشراء المنظومة ذاتها."
    )
    assert run(clf, matcher, body).countries == ["China", "Russia", "United States"]


@pytest.mark.parametrize(
    ("body", "countries"),
    [
        # an office "in" a state is that state's
        (
            "قال رئيس أمانة الصناعات الدفاعية في تركيا إن المباحثات مع روسيا حول شراء دفعة ثانية"
            " من منظومة إس-400 مستمرة.",
            ["Russia", "Turkey"],
        ),
        # a fair held in a state makes it no party
        (
            "وقعت روسوبورون إكسبورت عقودا لتوريد منظومات إس-400 خلال معرض الدفاع الدولي في"
            " الإمارات مع شركاء لم تسمهم.",
            ["Russia"],
        ),
    ],
)
def test_an_office_in_a_state_and_a_fair_held_there(
    clf: Classifier, matcher: Matcher, body: str, countries: list[str]
) -> None:
    assert run(clf, matcher, body).countries == countries


# Round 4, topics: each fails on the rules of 54c4126.
ROUND4_TOPICS = [
    pytest.param(
        "اتفقت الإمارات العربية المتحدة أمس، الأحد، مع روسيا على صفقة لشراء منظومة إس-400.",
        ["contract"],
        id="the_day_and_a_long_name_between_agreeing_and_the_deal",
    ),
    pytest.param(
        "دعت واشنطن أنقرة إلى الامتناع عن تسلم منظومة إس-400 الروسية.",
        ["other"],
        id="refraining_from_a_delivery_is_none",
    ),
]


# Round 5, topics, by the categories of heldout3's misses (heldout3 is tuned on from this round;
# heldout4 and heldout5 stay blind). Each fails on the rules of eddf0a5.
ROUND5_TOPICS = [
    pytest.param(
        "قال مسؤول إن اتفاق الدفعة الثالثة من منظومات إس-400 لبيلاروسيا سيتم إبرامه خلال أسابيع.",
        ["contract"],
        id="the_deal_first_then_its_signing_with_a_pronoun",
    ),
    pytest.param(
        "أعلن السفير أن الفوجين الأخيرين من منظومة إس-400 المخصصة لسلاح الجو الجزائري سيصلان"
        " إلى الجزائر في الربيع.",
        ["delivery"],
        id="a_dual_subject_arrives_later_with_its_description_between",
    ),
    pytest.param(
        "وأكد الوزير أن الحكومة لا تخطط لشرائها في الوقت الراهن، في إشارة إلى منظومة إس-400.",
        ["negotiation"],
        id="the_hamza_of_a_verbal_noun_on_its_carrier_before_a_pronoun",
    ),
    pytest.param(
        "قالت وزارة الدفاع الفيتنامية اليوم إن البلاد تعزز دفاعاتها الجوية. ووقعت فيتنام عقدا"
        " لشراء منظومة إس-400 على أن تبدأ عمليات تسليم المنظومة عام 2028.",
        ["contract"],
        id="a_year_its_clause_puts_ahead_dates_no_recall",
    ),
    pytest.param(
        "وقعت مصر وروسيا اليوم عقدا لتوريد منظومة إس-400. وقال وزير الدفاع المصري في تصريحات"
        " سابقة إن القاهرة طلبت المنظومة.",
        ["contract"],
        id="what_was_said_in_earlier_statements_is_recalled",
    ),
    pytest.param(
        "قال مسؤول روسي إن موسكو ستواصل تزويد قواتها بمنظومات إس-400 الحديثة.",
        ["other"],
        id="a_seller_equipping_its_own_forces_delivers_to_no_buyer",
    ),
    pytest.param(
        "تسلم لواء صاروخي تابع للمنطقة العسكرية الغربية الروسية مهام المناوبة القتالية بمنظومة"
        " إس-400.",
        ["other"],
        id="taking_up_combat_duty_with_the_unit_between",
    ),
    pytest.param(
        "عرضت روسيا على الجانب الإندونيسي منظومة إس-400 بشروط دفع ميسرة.",
        ["negotiation"],
        id="an_offer_of_the_system_made_to_a_party",
    ),
    pytest.param(
        "عرضت الشركة على هامش المعرض منظومة إس-400 ونماذج أخرى.",
        ["other"],
        id="shown_on_the_sidelines_of_a_fair_is_no_offer",
    ),
]


# Round 6, topics, by the categories of heldout6's misses (a set of many wordings per
# development, tuned on; heldout4 and heldout5 stay blind). Each fails on the rules of e958096.
ROUND6_TOPICS = [
    pytest.param(
        "أبرمت الحكومة الجزائرية، بعد مفاوضات طويلة وشاقة امتدت أكثر من عامين مع الجانب الروسي،"
        " عقدا لشراء منظومة إس-400.",
        ["contract"],
        id="a_signing_whose_object_comes_after_the_asides",
    ),
    pytest.param(
        "صادق البرلمان البيلاروسي، بالإجماع، على الاتفاقية الموقعة مع روسيا لتوريد منظومات إس-400.",
        ["contract"],
        id="ratifying_the_deal",
    ),
    pytest.param(
        "أكد الوزير أن ملف صفقة منظومات إس-400 حسم نهائيا.",
        ["contract"],
        id="the_deal_first_then_settled",
    ),
    pytest.param(
        "قال المتحدث إن الكتيبة الثانية من منظومة إس-400 ستصل قبل نهاية الصيف.",
        ["delivery"],
        id="a_unit_to_arrive_by_a_date",
    ),
    pytest.param(
        "أفادت مصادر بأن مكونات البطارية الأولى من منظومة إس-400 بدأت تصل إلى البلاد.",
        ["delivery"],
        id="parts_that_started_arriving",
    ),
    pytest.param(
        "وعلق المسؤول على ما يتردد عن وصول شحنة من منظومة إس-400 إلى البلاد بأنه لا يملك معلومات.",
        ["other"],
        id="what_a_rumour_says_is_no_event",
    ),
    pytest.param(
        "ويرى الباحث في الشؤون الاستراتيجية أن الهند ستوقع عقدا جديدا لشراء منظومات إس-400 العام"
        " المقبل.",
        ["other"],
        id="a_researchers_reading_is_a_guess",
    ),
    pytest.param(
        "وقال الوزير إن المحادثات مستمرة، مستبعدا توقيع عقد منظومة إس-400 قبل نهاية العام.",
        ["negotiation"],
        id="a_signing_ruled_out_is_no_contract",
    ),
    pytest.param(
        "وصلت الدفعة الأولى من منظومة إس-400 إلى قاعدة مرتد قرب أنقرة اليوم. وقال مسؤول أمريكي إن"
        " الإدارة تدرس حزمة عقوبات بموجب قانون كاتسا.",
        ["delivery", "sanction"],
        id="sanctions_under_study_under_the_law",
    ),
    pytest.param(
        "وقال إن نقل منظومة إس-400 إلى طرف ثالث يحتاج إلى موافقة موسكو بموجب العقد.",
        ["other"],
        id="consent_the_contract_requires_is_no_deal",
    ),
]


# Round 7, by the categories of heldout6's second batch. Each fails on the rules of 37eb7bf but
# the guard on Russia's own units.
ROUND7_TOPICS = [
    pytest.param(
        "أعلنت وزارة الدفاع التركية أن صفقة منظومة إس-400 أصبحت نافذة بعد الاتفاق على آلية"
        " التمويل.",
        ["contract"],
        id="a_deal_in_force",
    ),
    pytest.param(
        "قالت المصادر إن العقد الخاص بمنظومات إس-400 دخل حيز التنفيذ مطلع الشهر.",
        ["contract"],
        id="a_contract_that_entered_into_force",
    ),
    pytest.param(
        "أعلن الرئيس البيلاروسي أن منظومة إس-400 التي تسلمها الجيش دخلت الخدمة القتالية في"
        " بيلاروسيا.",
        ["delivery"],
        id="delivered_units_entering_service_with_the_buyer",
    ),
    pytest.param(
        "دخل فوج جديد من منظومات إس-400 الخدمة القتالية في القوات الجوية الفضائية الروسية قرب"
        " موسكو.",
        ["other"],
        id="russias_own_units_entering_service",
    ),
]


# Round 4: who takes part, in constructions the rules before it read wrong. Each line fails
# on the rules of 54c4126.
ROUND4_COUNTRIES = [
    # a sentence the writer opens as a recap names past parties, even with no cue of what
    # happened in it
    (
        "أجرى الجيش الهندي أول رماية بمنظومة إس-400 في ولاية راجستان. ويذكر أن الصين كانت"
        " أول دولة أجنبية تشغل منظومة إس-400.",
        ["India"],
    ),
    # a further sentence adds parties only for a development it tells as news, not one it
    # recalls ("العام الماضي")
    (
        "حذرت الخارجية الأمريكية اليوم الهند من عقوبات بموجب قانون كاتسا إذا تسلمت منظومة"
        " إس-400. وكانت واشنطن فرضت العام الماضي عقوبات على إدارة التسليح الصينية لشرائها"
        " المنظومة.",
        ["India", "United States"],
    ),
    # the state a sanction waiver falls on is a party, named bare
    (
        "حذرت واشنطن من أن شراء منظومة إس-400 الروسية سيعرض المشترين لعقوبات بموجب قانون"
        " كاتسا. وقال مسؤول في الخارجية الأمريكية إن الإدارة لم تحسم بعد منح إندونيسيا إعفاء"
        " من تلك العقوبات.",
        ["Indonesia", "Russia", "United States"],
    ),
    # ... and so is the state new sanctions fall on
    (
        "هددت واشنطن بعقوبات بموجب قانون كاتسا على مشتري منظومة إس-400. وقال السيناتور إن"
        " الكونغرس سيصوت الأسبوع المقبل على مشروع قانون لفرض عقوبات جديدة على إندونيسيا.",
        ["Indonesia", "United States"],
    ),
    # a border named place after place: each is a place
    (
        "قالت مصادر إن مصر تتفاوض على شراء منظومة إس-400 لنشرها على الحدود الغربية مع ليبيا"
        " والجنوبية مع السودان.",
        ["Egypt", "Russia"],
    ),
    # what a rumour says names no party
    (
        "وحول ما تردد عن أن ماليزيا ستكون المشتري التالي لمنظومة إس-400، قال المسؤول الروسي إن"
        " الشركة تجري محادثات مع عدة دول.",
        ["Russia"],
    ),
    # a sentence goes on about the states it compares with, by their capitals
    (
        "وقعت الجزائر وروسيا عقدا لتوريد منظومة إس-400، لتصبح الجزائر رابع دولة تشتري المنظومة"
        " بعد الصين وتركيا والهند، وقد تسلمت بكين أول دفعة منها قبل أعوام.",
        ["Algeria", "Russia"],
    ),
]


@pytest.mark.parametrize(("body", "countries"), ROUND4_COUNTRIES)
def test_round4_parties(clf: Classifier, matcher: Matcher, body: str, countries: list[str]) -> None:
    assert run(clf, matcher, body).countries == countries


@pytest.mark.parametrize(
    ("body", "topics"),
    ROUND3_TOPICS + ROUND4_TOPICS + ROUND5_TOPICS + ROUND6_TOPICS + ROUND7_TOPICS,
)
def test_topics_of_later_rounds(
    clf: Classifier, matcher: Matcher, body: str, topics: list[str]
) -> None:
    assert run(clf, matcher, body).topics == topics
