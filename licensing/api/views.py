"""Licensing API: one view per operation; validated data goes straight to a service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as accounts_selectors
from core.api import example_request, example_response, query_bool, query_choice
from core.errors import DomainError
from core.ratelimit import ActionRateThrottle
from core.replicas import replica_reads
from core.schema import ErrorSerializer
from licensing import selectors, services
from licensing.api import examples as ex
from licensing.api import serializers as s
from licensing.enums import CharacterKind, GrantStatus, LicensingError
from licensing.models import Character, Offer
from licensing.odrl import agreement_to_odrl, offer_to_odrl
from licensing.terms import PRESETS_BY_KEY

if TYPE_CHECKING:
    pass


TAG = ["licensing"]


@replica_reads
class CharacterListCreateView(ListAPIView):
    """The catalog: active characters with at least one published offer."""

    serializer_class = s.CharacterOutputSerializer

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    def _filters(self) -> dict:
        params = self.request.query_params
        return {
            "q": params.get("q", "").strip(),
            "kind": query_choice(params, "kind", CharacterKind.values, default="") or "",
            "franchise": params.get("franchise", ""),
            "commercial": query_bool(params, "commercial"),
            "free": query_bool(params, "free"),
        }

    def get_queryset(self):
        return selectors.catalog_characters(**self._filters()).prefetch_related("aliases")

    def list(self, request, *args, **kwargs):
        """A page of the catalog's read model (licensing/services/catalog.py): a search
        page and its count in one query, served from the stored payloads."""
        filters = self._filters()
        documents = selectors.catalog_documents(**filters)
        if documents is None:
            return super().list(request, *args, **kwargs)
        assert self.paginator is not None  # the project's default pagination
        size = self.paginator.get_page_size(request) or 0
        page = request.query_params.get(self.paginator.page_query_param) or "1"
        offset = (int(page) - 1) * size if page.isdigit() and int(page) >= 1 else None
        payloads = selectors.CatalogPayloads(
            documents, offset=offset, limit=size, windowed=bool(filters["q"])
        )
        rows = self.paginate_queryset(payloads)
        absolute = request.build_absolute_uri
        return self.get_paginated_response(
            [s.catalog_card_output(payload, absolute=absolute) for payload in rows or []]
        )

    @extend_schema(
        tags=TAG,
        parameters=[
            OpenApiParameter("q", str, description="Search names, aliases, franchise"),
            OpenApiParameter("kind", str, enum=CharacterKind.values),
            OpenApiParameter("franchise", str, description="Exact franchise, any case"),
            OpenApiParameter("commercial", bool, description="Has a commercial offer"),
            OpenApiParameter("free", bool, description="Has an offer with no upfront fee"),
        ],
        examples=[example_response("Catalog page", ex.CHARACTER)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAG,
        request=s.CharacterCreateSerializer,
        responses={201: s.CharacterOutputSerializer},
        examples=[
            example_request(
                "Studio character",
                {
                    "organization": "hoshi-studio",
                    "name": "Hoshi-chan",
                    "aliases": [{"text": "ほしちゃん", "mode": "normal"}],
                    "franchise": "Star Diary",
                },
            ),
            example_request(
                "Own likeness",
                {"kind": "likeness", "name": "Aiko Tanaka", "likeness_attested": True},
                summary="No organization: the caller's own likeness",
            ),
            example_response(
                "Registered", {**ex.CHARACTER, "offers": [], "images": []}, status=201
            ),
        ],
    )
    def post(self, request):
        serializer = s.CharacterCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        slug = data.pop("organization", None)
        organization = None
        if slug:
            organization = accounts_selectors.organization_by_slug(slug=slug)
            if organization is None:
                raise Http404("No such organization")
        data["aliases"] = [(a["text"], a["mode"]) for a in data["aliases"]]
        character = services.character_create(
            by=request.user, owner_organization=organization, **data
        )
        character = selectors.character_detail(pk=character.pk)
        return Response(
            s.CharacterOutputSerializer(character, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


@replica_reads
class CharacterDetailView(APIView):
    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    def _get(self, pk) -> Character:
        character = selectors.character_visible_to(pk=pk, user=self.request.user)
        if character is None:
            raise Http404("No such character")
        return character

    @extend_schema(
        tags=TAG,
        responses={200: s.CharacterOutputSerializer},
        examples=[example_response("Character", ex.CHARACTER)],
    )
    def get(self, request, pk):
        character = self._get(pk)
        return Response(s.CharacterOutputSerializer(character, context={"request": request}).data)

    @extend_schema(
        tags=TAG,
        request=s.CharacterUpdateSerializer,
        responses={200: s.CharacterOutputSerializer},
        examples=[
            example_request("Disallow", {"disallowed": True}, summary="No generation at all"),
            example_request(
                "Replace aliases",
                {"aliases": [{"text": "ほしちゃん", "mode": "normal"}]},
            ),
            example_response("Updated", {**ex.CHARACTER, "disallowed": True}),
        ],
    )
    def patch(self, request, pk):
        character = self._get(pk)
        # Not partial=True: every field is already optional, and a partial serializer would
        # also skip the nested aliases' required text and default mode (a 500 on
        # {"aliases": [{"text": "x"}]}, found by schemathesis).
        serializer = s.CharacterUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        aliases = data.pop("aliases", None)
        if not data and aliases is None:
            raise DomainError("Send at least one field to change.", code=LicensingError.EMPTY)
        if data:
            services.character_update(character=character, by=request.user, **data)
        if aliases is not None:
            services.character_aliases_set(
                character=character,
                by=request.user,
                aliases=[(a["text"], a["mode"]) for a in aliases],
            )
        character = self._get(pk)
        return Response(s.CharacterOutputSerializer(character, context={"request": request}).data)


def offer_visible_or_404(request, pk) -> Offer:
    """Published and superseded versions are public; drafts only to their editors."""
    offer = selectors.offer_visible_to(pk=pk, user=request.user)
    if offer is None:
        raise Http404("No such offer")
    return offer


class OfferCreateView(APIView):
    @extend_schema(
        tags=TAG,
        request=s.OfferDraftSerializer,
        responses={201: s.OfferOutputSerializer},
        examples=[
            example_request(
                "Commercial remix preset",
                {
                    "title": "Commercial remix",
                    "preset": "commercial_remix",
                    "terms": {"credit_text": "Hoshi Studio", "rev_share_bps": 1500},
                },
            ),
            example_response("Draft", ex.OFFER_DRAFT, status=201),
        ],
    )
    def post(self, request, pk):
        character = (
            Character.objects.select_related("owner_organization", "owner_user")
            .filter(pk=pk)
            .first()
        )
        if character is None:
            raise Http404("No such character")
        serializer = s.OfferDraftSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        base = PRESETS_BY_KEY[data["preset"]].terms if data["preset"] else {}
        offer = services.offer_create_draft(
            character=character,
            by=request.user,
            terms={**base, **data["terms"]},
            title=data["title"],
            preset=data["preset"],
        )
        return Response(
            s.OfferOutputSerializer(offer, context={"request": request}).data, status=201
        )


@replica_reads
class OfferDetailView(APIView):
    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(
        tags=TAG,
        responses={200: s.OfferOutputSerializer},
        examples=[example_response("Published version", ex.OFFER)],
    )
    def get(self, request, pk):
        return Response(
            s.OfferOutputSerializer(
                offer_visible_or_404(request, pk), context={"request": request}
            ).data
        )

    @extend_schema(
        tags=TAG,
        request=s.OfferUpdateSerializer,
        responses={200: s.OfferOutputSerializer},
        examples=[
            example_request(
                "Raise the share",
                {
                    "title": "Commercial remix",
                    "terms": {"credit_text": "Hoshi Studio", "rev_share_bps": 2000},
                },
                summary="Drafts only; the terms replace the draft's terms",
            ),
            example_response(
                "Draft", {**ex.OFFER_DRAFT, "terms": {**ex.TERMS, "rev_share_bps": 2000}}
            ),
        ],
    )
    def patch(self, request, pk):
        offer = offer_visible_or_404(request, pk)
        serializer = s.OfferUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        offer = services.offer_update_draft(
            offer=offer, by=request.user, **serializer.validated_data
        )
        return Response(s.OfferOutputSerializer(offer, context={"request": request}).data)


class OfferPublishView(APIView):
    @extend_schema(
        tags=TAG,
        request=None,
        responses={200: s.OfferOutputSerializer},
        examples=[example_response("Published", ex.OFFER)],
    )
    def post(self, request, pk):
        offer = services.offer_publish(offer=offer_visible_or_404(request, pk), by=request.user)
        return Response(s.OfferOutputSerializer(offer, context={"request": request}).data)


class OfferNewVersionView(APIView):
    @extend_schema(
        tags=TAG,
        request=None,
        responses={201: s.OfferOutputSerializer},
        examples=[example_response("New draft version", ex.OFFER_DRAFT, status=201)],
    )
    def post(self, request, pk):
        draft = services.offer_new_version(offer=offer_visible_or_404(request, pk), by=request.user)
        return Response(
            s.OfferOutputSerializer(draft, context={"request": request}).data, status=201
        )


@replica_reads
class OfferOdrlView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAG,
        responses={
            (200, "application/ld+json"): {
                "type": "object",
                "description": "ODRL 2.2 JSON-LD odrl:Offer",
            }
        },
        examples=[
            OpenApiExample(
                "odrl:Offer (abridged)", value=ex.ODRL_OFFER, media_type="application/ld+json"
            )
        ],
    )
    def get(self, request, pk):
        offer = offer_visible_or_404(request, pk)
        character = offer.character
        document = offer_to_odrl(
            uid=request.build_absolute_uri(f"/api/v1/offers/{offer.pk}/odrl/"),
            terms=offer.parsed_terms,
            target=request.build_absolute_uri(character.get_absolute_url()),
            assigner=_assigner_uri(request, character),
            terms_hash=offer.terms_hash,
            issued=offer.published_at,
        )
        return Response(document, content_type="application/ld+json")


def _assigner_uri(request, character: Character) -> str:
    if character.owner_organization_id:
        return request.build_absolute_uri(f"/organizations/{character.owner_organization.slug}/")
    return request.build_absolute_uri(f"/people/{character.owner_user_id}/")


class GrantListView(ListAPIView):
    """Your grants as a licensee, or with ?role=licensor the grants on characters you
    manage (optionally ?status=pending_approval)."""

    serializer_class = s.GrantOutputSerializer

    @extend_schema(
        tags=TAG,
        parameters=[
            OpenApiParameter(
                "role",
                str,
                enum=["licensee", "licensor"],
                description="licensee (default): your licences; licensor: licences on "
                "characters you manage",
            ),
            OpenApiParameter("status", str, enum=GrantStatus.values),
        ],
        examples=[example_response("Your licences", ex.GRANT)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        role = query_choice(params, "role", ["licensee", "licensor"], default="licensee")
        status_ = query_choice(params, "status", GrantStatus.values)
        if role == "licensor":
            return selectors.grants_for_licensor(user=self.request.user, status=status_)
        qs = selectors.grants_for_licensee(user=self.request.user)
        return qs.filter(status=status_) if status_ else qs


def _grant_for(request, pk):
    grant = selectors.grant_visible_to(grant_id=pk, user=request.user)
    if grant is None:
        raise Http404("No such grant")
    return grant


class GrantDetailView(APIView):
    @extend_schema(
        tags=TAG,
        responses={200: s.GrantOutputSerializer},
        examples=[example_response("Licence", ex.GRANT)],
    )
    def get(self, request, pk):
        return Response(s.GrantOutputSerializer(_grant_for(request, pk)).data)


class GrantEndView(APIView):
    @extend_schema(
        tags=TAG,
        request=s.GrantEndSerializer,
        responses={200: s.GrantOutputSerializer},
        examples=[
            example_request("End", {"reason": "Project finished"}),
            example_response(
                "Ended",
                {
                    **ex.GRANT,
                    "status": "ended",
                    "ended_at": "2026-05-01T12:00:00Z",
                    "end_reason": "Project finished",
                },
            ),
        ],
    )
    def post(self, request, pk):
        serializer = s.GrantEndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        grant = services.grant_end_by_licensee(
            grant=_grant_for(request, pk), by=request.user, **serializer.validated_data
        )
        return Response(s.GrantOutputSerializer(grant).data)


class GrantRevokeView(APIView):
    """The rightsholder revokes one person's active licence, with a reason the person
    reads. It ends after the offer's grace period (at once for none; ``revoke_at``
    says when); then the works made under it follow the offer's ``on_revoke`` and the
    person's unfinished generations of the character are failed. 403 for the licensee,
    404 for anyone else, 409 for a licence not active or already being revoked."""

    @extend_schema(
        tags=TAG,
        request=s.GrantRevokeSerializer,
        responses={200: s.GrantOutputSerializer, 409: ErrorSerializer},
        examples=[
            example_request("Revoke", {"reason": "Used in ways our terms forbid"}),
            example_response(
                "Revoking",
                {
                    **ex.GRANT,
                    "revoke_at": "2026-05-15T12:00:00Z",
                    "revoke_reason": "Used in ways our terms forbid",
                },
            ),
        ],
    )
    def post(self, request, pk):
        serializer = s.GrantRevokeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        grant = services.grant_revoke(
            grant=_grant_for(request, pk), by=request.user, **serializer.validated_data
        )
        return Response(s.GrantOutputSerializer(grant).data)


class GrantDecideView(APIView):
    """The rightsholder approves or declines a licence request waiting for them, before
    its ``approval_deadline`` (after it, 400 ``expired``: the request was declined by
    default). Declining refunds any fee paid for the licence."""

    @extend_schema(
        tags=TAG,
        request=s.GrantDecideSerializer,
        responses={200: s.GrantOutputSerializer},
        examples=[
            example_request("Approve", {"decision": "approve"}),
            example_request(
                "Reject", {"decision": "reject", "reason": "Not for political channels"}
            ),
            example_response("Approved", ex.GRANT),
        ],
    )
    def post(self, request, pk):
        serializer = s.GrantDecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        grant = _grant_for(request, pk)
        if serializer.validated_data["decision"] == "approve":
            grant = services.grant_approve(grant=grant, by=request.user)
        else:
            grant = services.grant_reject(
                grant=grant, by=request.user, reason=serializer.validated_data["reason"]
            )
        return Response(s.GrantOutputSerializer(grant).data)


class GrantOdrlView(APIView):
    @extend_schema(
        tags=TAG,
        responses={
            (200, "application/ld+json"): {
                "type": "object",
                "description": "ODRL 2.2 JSON-LD odrl:Agreement",
            }
        },
        examples=[
            OpenApiExample(
                "odrl:Agreement (abridged)",
                value=ex.ODRL_AGREEMENT,
                media_type="application/ld+json",
            )
        ],
    )
    def get(self, request, pk):
        grant = _grant_for(request, pk)
        character = grant.character
        document = agreement_to_odrl(
            uid=request.build_absolute_uri(f"/api/v1/grants/{grant.pk}/odrl/"),
            offer_uid=request.build_absolute_uri(f"/api/v1/offers/{grant.offer_id}/odrl/"),
            terms=grant.offer.parsed_terms,
            target=request.build_absolute_uri(character.get_absolute_url()),
            assigner=_assigner_uri(request, character),
            assignee=request.build_absolute_uri(f"/people/{grant.licensee_id}/"),
            terms_hash=grant.offer.terms_hash,
            issued=grant.activated_at or grant.created_at,
        )
        return Response(document, content_type="application/ld+json")


class ScreenView(APIView):
    throttle_classes = [ActionRateThrottle]
    throttle_scope = "screen"

    @extend_schema(
        tags=TAG,
        request=s.ScreenSerializer,
        responses={200: s.DecisionOutputSerializer},
        examples=[
            example_request(
                "Screen a prompt",
                {
                    "prompt": "Hoshi-chan raises a beer in the rain",
                    "character_ids": [ex.CHARACTER_ID],
                    "territory": "JP",
                    "commercial": True,
                    "rating": "all_ages",
                },
            ),
            example_response("Refused, with the term that refused it", ex.DECISION),
        ],
    )
    def post(self, request):
        serializer = s.ScreenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        decision, record = services.policy_screen(
            creator=request.user,
            prompt=data["prompt"],
            character_ids=data["character_ids"],
            territory=data["territory"] or None,
            commercial=data["commercial"],
            rating=data["rating"],
        )
        return Response({"id": record.pk, **decision.to_dict()})


class OfferEndView(APIView):
    """The licensor ends an offer: no new grants from now; existing grants end after the
    version's grace days, and their works then follow its ``on_revoke``."""

    @extend_schema(
        tags=["licensing"],
        request=None,
        responses={200: s.OfferOutputSerializer},
        examples=[
            OpenApiExample(
                "Ended",
                value={
                    "id": "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d",
                    "character": ex.CHARACTER_ID,
                    "series": "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e",
                    "version": 2,
                    "status": "ended",
                    "title": "Commercial remix",
                    "preset": "commercial_remix",
                    "terms": {"on_revoke": "delist", "grace_days": 14},
                    "terms_hash": "3f2a…",
                    "summary": "You may generate, remix and publish videos of Hoshi-chan…",
                    "published_at": "2025-04-01T09:00:00Z",
                    "odrl_url": "https://cocreate.example/api/v1/offers/2a3b…/odrl/",
                },
                response_only=True,
            )
        ],
    )
    def post(self, request, pk):
        offer = services.offer_end(offer=offer_visible_or_404(request, pk), by=request.user)
        return Response(s.OfferOutputSerializer(offer, context={"request": request}).data)


class CharacterConflictReportView(APIView):
    """The owner of a proven character reports that this character (of another owner)
    uses its name: ``character_id`` is your own character, ``reason`` why. Our staff
    decide it in the admin, with both parties' documents side by side; until they find
    the name is yours, the reported character keeps its standing. 400 without a reason
    or with your draft as the basis (``character_draft``) or when the reported character
    is yours too (``own_character``); 403 for a basis you do not manage; 404 for an
    unknown character; 409 when the same report is already waiting for staff."""

    @extend_schema(
        tags=TAG,
        request=s.ConflictReportInputSerializer,
        responses={
            201: s.NameConflictOutputSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
        examples=[
            example_request(
                "Report",
                {
                    "character_id": ex.CHARACTER_ID,
                    "reason": ex.NAME_CONFLICT["report_reason"],
                },
            ),
            example_response("Reported", ex.NAME_CONFLICT, status=201),
            example_response(
                "Already reported",
                {
                    "code": "duplicate",
                    "detail": "A conflict between Hoshi-chan and Hoshi Chan is already "
                    "waiting for our staff.",
                    "field": None,
                },
                status=409,
            ),
        ],
    )
    def post(self, request, pk):
        character = selectors.character_visible_to(pk=pk, user=request.user)
        if character is None:
            raise Http404("No such character")
        serializer = s.ConflictReportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        basis = selectors.character_visible_to(pk=data["character_id"], user=request.user)
        if basis is None:
            raise Http404("No such character")
        conflict = services.name_conflict_report(
            character=character, basis=basis, by=request.user, reason=data["reason"]
        )
        return Response(
            s.NameConflictOutputSerializer(conflict).data, status=status.HTTP_201_CREATED
        )


def _own_likeness_or_404(request, pk) -> Character:
    """A character the requester manages; anyone else learns nothing of it (404)."""
    character = (
        Character.objects.select_related("owner_organization", "owner_user").filter(pk=pk).first()
    )
    if character is None or not selectors.character_can_edit(
        character=character, user=request.user
    ):
        raise Http404("No such character")
    return character


class ConsentChallengeView(APIView):
    @extend_schema(
        tags=TAG,
        request=None,
        responses={201: s.ConsentChallengeOutputSerializer, 400: ErrorSerializer},
        description="A phrase of random words for the person to read aloud in their likeness "
        "consent video: good for one video, by them, for this likeness, for a few minutes.",
        examples=[example_response("A phrase", ex.CONSENT_CHALLENGE, status=201)],
    )
    def post(self, request, pk):
        character = _own_likeness_or_404(request, pk)
        challenge = services.consent_challenge_issue(character=character, by=request.user)
        return Response(s.ConsentChallengeOutputSerializer(challenge).data, status=201)


class ConsentView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=TAG,
        responses={200: s.ConsentOutputSerializer, 404: ErrorSerializer},
        description="The likeness's latest consent video and its review (404 before any).",
        examples=[example_response("Waiting for staff", ex.CONSENT)],
    )
    def get(self, request, pk):
        character = _own_likeness_or_404(request, pk)
        consent = selectors.consent_latest(character=character)
        if consent is None:
            raise Http404("No consent video has been sent for this likeness yet.")
        return Response(s.ConsentOutputSerializer(consent, context={"request": request}).data)

    @extend_schema(
        tags=TAG,
        request={"multipart/form-data": s.ConsentSubmitSerializer},
        responses={201: s.ConsentOutputSerializer, 400: ErrorSerializer},
        description="Send the consent video (multipart: ``challenge_id``, ``video``). The "
        "phrase is spent by any attempt; a refused video stores nothing. Staff review it.",
        examples=[
            example_request(
                "A recording",
                {"challenge_id": ex.CONSENT_CHALLENGE["id"], "video": "consent.webm"},
            ),
            example_response("Waiting for staff", ex.CONSENT, status=201),
        ],
    )
    def post(self, request, pk):
        character = _own_likeness_or_404(request, pk)
        serializer = s.ConsentSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consent = services.consent_video_submit(
            challenge_id=serializer.validated_data["challenge_id"],
            character=character,
            by=request.user,
            file=serializer.validated_data["video"],
        )
        return Response(
            s.ConsentOutputSerializer(consent, context={"request": request}).data, status=201
        )
