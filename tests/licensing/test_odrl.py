import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS

from licensing.odrl import agreement_to_odrl, offer_to_odrl, profile_document
from licensing.terms import Terms

ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
CC = Namespace("https://cocreate.example/ns/odrl#")

OFFER = URIRef("https://cocreate.example/offers/o-1/versions/3")
GRANT = URIRef("https://cocreate.example/grants/g-7")
CHARACTER = URIRef("https://cocreate.example/characters/c-1")
OWNER = URIRef("https://cocreate.example/users/owner")
CREATOR = URIRef("https://cocreate.example/users/creator")
ISSUED = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)
XSD_DECIMAL = URIRef("http://www.w3.org/2001/XMLSchema#decimal")
USD = URIRef("http://qudt.org/vocab/currency/USD")

RICH = Terms(
    audience="followers",
    audience_allowlist=("u-friend",),
    approval="per_work",
    approval_deadline_hours=48,
    commercial_use=False,
    allowed_actions=("generate", "remix", "publish", "export"),
    remix_policy="same_terms",
    attribution_required=True,
    credit_text="Hoshi Studio",
    banned_categories=("violence", "politics"),
    banned_words=("bad word", "worse"),
    banned_costars=("c-rival",),
    max_rating="teen",
    territory_mode="allow",
    territories=("JP", "FR"),
    starts_at=datetime(2026, 1, 1, tzinfo=UTC),
    ends_at=datetime(2027, 1, 1, tzinfo=UTC),
    max_generations_per_licensee=10,
    max_licensees=5,
    max_works=200,
    currency="USD",
    upfront_fee=2000,
    per_generation_fee=50,
    rev_share_bps=1500,
    ai_training="not_allowed",
)
# Terms under which nothing beyond the bare grant needs saying.
OPEN = Terms(
    commercial_use=True, attribution_required=False, max_rating="mature", ai_training="allowed"
)


def _offer(terms=RICH):
    return offer_to_odrl(
        uid=str(OFFER),
        terms=terms,
        target=str(CHARACTER),
        assigner=str(OWNER),
        terms_hash=terms.content_hash(),
        issued=ISSUED,
    )


def _agreement(terms=RICH):
    return agreement_to_odrl(
        uid=str(GRANT),
        offer_uid=str(OFFER),
        terms=terms,
        target=str(CHARACTER),
        assigner=str(OWNER),
        assignee=str(CREATOR),
        terms_hash=terms.content_hash(),
        issued=ISSUED,
    )


def _parse(document: dict) -> Graph:
    # Serialised and parsed as a client would; the inline context needs no network.
    return Graph().parse(data=json.dumps(document), format="json-ld")


def _value(node):
    return node.toPython() if isinstance(node, Literal) else node


def _constraint(graph: Graph, node) -> tuple:
    rights = frozenset(_value(o) for o in graph.objects(node, ODRL.rightOperand))
    return graph.value(node, ODRL.leftOperand), graph.value(node, ODRL.operator), rights


def _constraints(graph: Graph, rule, prop=ODRL.constraint) -> set[tuple]:
    return {
        _constraint(graph, c)
        for c in graph.objects(rule, prop)
        if (c, ODRL["or"], None) not in graph
    }


def _rules(graph: Graph, kind) -> dict:
    """The policy's rules of one kind by action; a refined action is keyed by its rdf:value."""
    [policy] = graph.subjects(ODRL.profile)
    rules: dict = {}
    for rule in graph.objects(policy, kind):
        action = graph.value(rule, ODRL.action)
        action = graph.value(action, RDF.value) or action
        rules.setdefault(action, []).append(rule)
    return rules


def _refinements(graph: Graph, rule) -> set[tuple]:
    return _constraints(graph, graph.value(rule, ODRL.action), ODRL.refinement)


@pytest.fixture(scope="module")
def offer() -> Graph:
    return _parse(_offer())


def test_offer_is_an_odrl_offer_of_the_target_by_the_assigner(offer):
    document = _offer()

    assert isinstance(document["@context"], dict)  # inline: no remote context to fetch
    assert (OFFER, RDF.type, ODRL.Offer) in offer
    assert offer.value(OFFER, ODRL.target) == CHARACTER
    assert offer.value(OFFER, ODRL.assigner) == OWNER
    assert offer.value(OFFER, ODRL.assignee) is None
    assert offer.value(OFFER, ODRL.profile) == URIRef("https://cocreate.example/ns/odrl")
    assert offer.value(OFFER, CC.termsHash) == Literal(RICH.content_hash())
    assert offer.value(OFFER, DCTERMS.issued).toPython() == ISSUED


def test_each_allowed_action_is_one_permission(offer):
    permissions = _rules(offer, ODRL.permission)

    assert {action: len(rules) for action, rules in permissions.items()} == {
        CC.generate: 1,
        ODRL.derive: 1,
        ODRL.distribute: 1,
        ODRL.reproduce: 1,
    }


def test_every_permission_carries_place_window_purpose_caps_and_rating(offer):
    expected = {
        (ODRL.spatial, ODRL.isAnyOf, frozenset({"JP", "FR"})),
        (ODRL.dateTime, ODRL.gteq, frozenset({datetime(2026, 1, 1, tzinfo=UTC)})),
        (ODRL.dateTime, ODRL.lt, frozenset({datetime(2027, 1, 1, tzinfo=UTC)})),
        (ODRL.purpose, ODRL.isNoneOf, frozenset({CC.commercial})),
        (ODRL["count"], ODRL.lteq, frozenset({10})),
        (CC.licenseeCount, ODRL.lteq, frozenset({5})),
        (CC.workCount, ODRL.lteq, frozenset({200})),
        (CC.rating, ODRL.isAnyOf, frozenset({CC.all_ages, CC.teen})),
        (CC.approval, ODRL.eq, frozenset({CC.per_work})),
        (CC.reviewWithin, ODRL.lteq, frozenset({timedelta(hours=48)})),
    }
    for [permission] in _rules(offer, ODRL.permission).values():
        assert _constraints(offer, permission) == expected


def test_restricted_audience_admits_the_allowlist_too(offer):
    for [permission] in _rules(offer, ODRL.permission).values():
        [logical] = [
            c for c in offer.objects(permission, ODRL.constraint) if (c, ODRL["or"], None) in offer
        ]
        members = Collection(offer, offer.value(logical, ODRL["or"]))
        assert [_constraint(offer, member) for member in members] == [
            (CC.audience, ODRL.eq, frozenset({CC.followers})),
            (CC.licensee, ODRL.isAnyOf, frozenset({"u-friend"})),
        ]


def test_block_list_territories_are_none_of():
    graph = _parse(_offer(OPEN.replace(territory_mode="block", territories=("DE", "RU"))))

    for [permission] in _rules(graph, ODRL.permission).values():
        assert _constraints(graph, permission) == {
            (ODRL.spatial, ODRL.isNoneOf, frozenset({"DE", "RU"}))
        }


def test_banned_content_and_ai_training_are_prohibited(offer):
    prohibitions = _rules(offer, ODRL.prohibition)

    uses = {frozenset(_constraints(offer, rule)) for rule in prohibitions[ODRL.use]}
    assert uses == {
        frozenset({(CC.contentCategory, ODRL.isAnyOf, frozenset({CC.violence, CC.politics}))}),
        frozenset({(CC.contentWord, ODRL.isAnyOf, frozenset({"bad word", "worse"}))}),
        frozenset({(CC.costar, ODRL.isAnyOf, frozenset({"c-rival"}))}),
    }
    [training] = prohibitions[CC.aiTraining]
    assert _constraints(offer, training) == set()


def test_attribution_is_an_obligation_with_the_credit_text(offer):
    [attribute] = _rules(offer, ODRL.obligation)[ODRL.attribute]

    assert offer.value(attribute, ODRL.attributedParty) == OWNER
    assert _refinements(offer, attribute) == {(CC.creditText, ODRL.eq, frozenset({"Hoshi Studio"}))}


def test_upfront_fee_and_revenue_share_are_compensation_obligations(offer):
    compensations = _rules(offer, ODRL.obligation)[ODRL.compensate]
    by_operand = {next(iter(_refinements(offer, rule)))[0]: rule for rule in compensations}

    upfront = by_operand[ODRL.payAmount]
    assert _refinements(offer, upfront) == {
        (ODRL.payAmount, ODRL.eq, frozenset({Decimal("20.00")}))
    }
    [amount] = offer.objects(upfront, ODRL.action / ODRL.refinement)
    assert offer.value(amount, ODRL.unit) == USD
    assert offer.value(upfront, ODRL.compensatedParty) == OWNER
    assert _constraints(offer, upfront) == {(ODRL.event, ODRL.lt, frozenset({ODRL.policyUsage}))}

    share = by_operand[ODRL.percentage]
    assert _refinements(offer, share) == {(ODRL.percentage, ODRL.eq, frozenset({Decimal("15")}))}
    assert len(compensations) == 2


def test_per_generation_fee_is_a_duty_of_each_generating_permission(offer):
    permissions = _rules(offer, ODRL.permission)

    for action in (CC.generate, ODRL.derive):
        [permission] = permissions[action]
        [duty] = [
            d
            for d in offer.objects(permission, ODRL.duty)
            if offer.value(offer.value(d, ODRL.action), RDF.value) == ODRL.compensate
        ]
        assert _refinements(offer, duty) == {
            (ODRL.payAmount, ODRL.eq, frozenset({Decimal("0.50")}))
        }
    for action in (ODRL.distribute, ODRL.reproduce):
        [permission] = permissions[action]
        assert offer.value(permission, ODRL.duty) is None


def test_zero_decimal_currencies_pay_whole_amounts():
    graph = _parse(_offer(OPEN.replace(currency="JPY", upfront_fee=500)))

    [upfront] = _rules(graph, ODRL.obligation)[ODRL.compensate]
    [amount] = graph.objects(upfront, ODRL.action / ODRL.refinement)
    assert graph.value(amount, ODRL.rightOperand) == Literal("500", datatype=XSD_DECIMAL)
    assert graph.value(amount, ODRL.unit) == URIRef("http://qudt.org/vocab/currency/JPY")


def test_same_terms_remix_must_offer_the_same_policy_onward(offer):
    [derive] = _rules(offer, ODRL.permission)[ODRL.derive]

    [next_policy] = [
        d
        for d in offer.objects(derive, ODRL.duty)
        if offer.value(d, ODRL.action) == ODRL.nextPolicy
    ]
    assert offer.value(next_policy, ODRL.target) == OFFER


def test_terms_that_restrict_nothing_give_bare_permissions():
    graph = _parse(_offer(OPEN))

    permissions = _rules(graph, ODRL.permission)
    assert set(permissions) == {CC.generate, ODRL.distribute}
    assert all(graph.value(rule, ODRL.constraint) is None for [rule] in permissions.values())
    assert _rules(graph, ODRL.prohibition) == {}
    assert _rules(graph, ODRL.obligation) == {}


def test_sublicensable_terms_permit_grant_use():
    graph = _parse(_offer(OPEN.replace(sublicensable=True)))

    assert ODRL.grantUse in _rules(graph, ODRL.permission)


def test_agreement_is_the_offer_plus_assignee_and_source():
    # given
    offer, agreement = _parse(_offer()), _parse(_agreement())

    # then
    assert (GRANT, RDF.type, ODRL.Agreement) in agreement
    assert agreement.value(GRANT, ODRL.assigner) == OWNER
    assert agreement.value(GRANT, ODRL.assignee) == CREATOR
    assert agreement.value(GRANT, DCTERMS.source) == OFFER

    # when: the agreement-only triples are removed and the policy renamed
    agreement.remove((GRANT, ODRL.assignee, CREATOR))
    agreement.remove((GRANT, DCTERMS.source, OFFER))
    agreement.remove((GRANT, RDF.type, ODRL.Agreement))
    renamed = Graph()
    for s, p, o in agreement:
        renamed.add((OFFER if s == GRANT else s, p, OFFER if o == GRANT else o))
    renamed.add((OFFER, RDF.type, ODRL.Offer))

    # then: what is left is the offer, rule for rule
    assert isomorphic(renamed, offer)


def test_profile_declares_generate_as_a_kind_of_use():
    graph = _parse(profile_document())

    assert (CC.generate, RDF.type, ODRL.Action) in graph
    assert (CC.generate, ODRL.includedIn, ODRL.use) in graph
    assert (CC.aiTraining, ODRL.includedIn, ODRL.use) in graph
    assert (CC.contentCategory, RDF.type, ODRL.LeftOperand) in graph
