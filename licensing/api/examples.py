"""Example bodies for the licensing API's OpenAPI documentation. The schema-walk test
(tests/api/test_schema_walk.py) validates every example against its schema, so they
cannot drift from what the API really sends."""

CHARACTER_ID = "6c4e2f0a-1b3d-4e5f-8a9b-0c1d2e3f4a5b"
OFFER_ID = "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d"
SERIES_ID = "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e"
GRANT_ID = "4d5e6f70-8192-4a3b-9c4d-5e6f708192a3"
DECISION_ID = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
TERMS_HASH = "3f2a9c0d5b7e41a68c2d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"

TERMS = {
    "audience": "public",
    "audience_allowlist": [],
    "approval": "none",
    "approval_deadline_hours": 72,
    "commercial_use": True,
    "allowed_actions": ["generate", "remix", "publish"],
    "remix_policy": "same_terms",
    "attribution_required": True,
    "credit_text": "Hoshi Studio",
    "banned_categories": ["alcohol", "sexual"],
    "banned_words": [],
    "banned_costars": [],
    "max_rating": "teen",
    "territory_mode": "block",
    "territories": [],
    "starts_at": None,
    "ends_at": None,
    "termination_notice_days": 30,
    "max_generations_per_licensee": None,
    "max_licensees": None,
    "max_works": None,
    "currency": "USD",
    "upfront_fee": 0,
    "per_generation_fee": 0,
    "rev_share_bps": 1500,
    "upstream_model": "absolute",
    "max_stack_bps": 5000,
    "transferable": False,
    "sublicensable": False,
    "ai_training": "not_allowed",
    "on_revoke": "keep",
    "grace_days": 14,
}

OFFER = {
    "id": OFFER_ID,
    "character": CHARACTER_ID,
    "series": SERIES_ID,
    "version": 1,
    "status": "published",
    "title": "Commercial remix",
    "preset": "commercial_remix",
    "terms": TERMS,
    "terms_hash": TERMS_HASH,
    "summary": "Anyone may generate, remix and publish videos of Hoshi-chan, also "
    "commercially. Credit “Hoshi Studio”. Hoshi Studio takes 15% of revenue.",
    "published_at": "2026-04-01T09:00:00Z",
    "odrl_url": f"https://cocreate.example/api/v1/offers/{OFFER_ID}/odrl/",
}
OFFER_DRAFT = {
    **OFFER,
    "id": "8e9f0a1b-2c3d-4e5f-a6b7-c8d9e0f1a2b3",
    "version": 2,
    "status": "draft",
    "published_at": None,
    "odrl_url": "https://cocreate.example/api/v1/offers/8e9f0a1b-2c3d-4e5f-a6b7-c8d9e0f1a2b3/odrl/",
}

CHARACTER = {
    "id": CHARACTER_ID,
    "kind": "character",
    "name": "Hoshi-chan",
    "aliases": [{"text": "ほしちゃん", "mode": "normal"}, {"text": "Hoshi", "mode": "review"}],
    "description": "A star who fell into a Tokyo rooftop garden.",
    "franchise": "Star Diary",
    "status": "active",
    "disallowed": False,
    "lookalike_action": "review",
    "owner": {"kind": "organization", "name": "Hoshi Studio", "slug": "hoshi-studio"},
    "images": [
        {
            "id": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
            # Signed media URLs, valid for MEDIA_URL_MAX_AGE seconds.
            "image": f"https://cocreate.example/media/characters/{CHARACTER_ID}/3f1c2d.png"
            "?viewer=public&sig=1vKx3c:Qm4tYw8Kc2nR0bV5xZ1aL7eP3oJ9uF6iG2hDsWqCyTk",
            "thumbnail": f"https://cocreate.example/media/characters/{CHARACTER_ID}/thumbs/"
            "7a9e0b.jpg?viewer=public&sig=1vKx3c:Lp2sHd8Wc0nV3bQ5tRk7mA1xZeP9oJuF4iG6hYqCyTs",
            "width": 1024,
            "height": 1024,
        }
    ],
    "offers": [OFFER],
    "created_at": "2026-03-30T08:00:00Z",
}

GRANT = {
    "id": GRANT_ID,
    "status": "active",
    "character": CHARACTER_ID,
    "character_name": "Hoshi-chan",
    "offer": OFFER_ID,
    "offer_version": 1,
    "terms_hash": TERMS_HASH,
    "licensee": "creator@cocreate.test",
    "max_fee": 0,
    "max_rev_share_bps": 1500,
    "max_generation_fee": 50,
    "created_at": "2026-04-02T10:00:00Z",
    "activated_at": "2026-04-02T10:00:00Z",
    "approval_deadline": None,
    "ended_at": None,
    "end_reason": "",
    "revoke_at": None,
    "revoke_reason": "",
}

PRICE_CHANGED = {
    "code": "price_changed",
    "detail": "Version 2 charges $0.50 per video, above the $0.00 per video you agreed to "
    "(max_generation_fee). Review its terms and accept again with max_generation_fee "
    "of at least 50.",
    "field": "max_generation_fee",
}

ODRL_OFFER = {
    "@context": {"odrl": "http://www.w3.org/ns/odrl/2/", "cc": "https://cocreate.example/ns/odrl#"},
    "@type": "odrl:Offer",
    "uid": f"https://cocreate.example/api/v1/offers/{OFFER_ID}/odrl/",
    "profile": "https://cocreate.example/ns/odrl",
    "target": f"https://cocreate.example/characters/{CHARACTER_ID}/",
    "assigner": "https://cocreate.example/organizations/hoshi-studio/",
    "permission": [{"action": "cc:generate"}, {"action": "odrl:derive"}],
    "cc:termsHash": TERMS_HASH,
}
ODRL_AGREEMENT = {
    **ODRL_OFFER,
    "@type": "odrl:Agreement",
    "uid": f"https://cocreate.example/api/v1/grants/{GRANT_ID}/odrl/",
    "assignee": "https://cocreate.example/people/5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e/",
}

DECISION = {
    "id": DECISION_ID,
    "allowed": False,
    "needs_review": False,
    "engine_version": "2026.1",
    "character_ids": [CHARACTER_ID],
    "reasons": [
        {
            "code": "banned_category",
            "term": "content_rules.banned_categories",
            "message": "Hoshi-chan's terms ban alcohol.",
            "character_id": CHARACTER_ID,
            "character_name": "Hoshi-chan",
            "severity": "refuse",
        }
    ],
    "effective": {"commercial_use": True, "banned_categories": ["alcohol", "sexual"]},
}

REPORTED_CHARACTER_ID = "8e9f0a1b-2c3d-4e5f-a6b7-c8d9e0f1a2b3"
NAME_CONFLICT = {
    "id": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
    "character": REPORTED_CHARACTER_ID,
    "basis": CHARACTER_ID,
    "text": "Hoshi Chan",
    "holder_text": "Hoshi-chan",
    "status": "open",
    "opened_at": "2026-05-02T10:00:00Z",
    "report_reason": "Same character, same pink star hair, registered by a fan account.",
    "decided_at": None,
    "decision_reason": "",
}

CONSENT_CHALLENGE = {
    "id": "3f0c2a56-0d8e-4a53-9d4b-8f27c1f9a0de",
    "phrase": "lantern walnut harbor tiger velvet morning",
    "expires_at": "2026-12-03T10:05:00Z",
}

CONSENT = {
    "id": "8a1d6c3e-2f4b-4c5d-9e6f-7a8b9c0d1e2f",
    "status": "pending",
    "reason": "",
    "video": "https://cocreate.example/media/consent-videos/6c4e2f0a-1b3d-4e5f-8a9b-0c1d2e3f4a5b/"
    "5b1e.webm?viewer=42&sig=1kZ9:abc",
    "duration_s": 6.4,
    "width": 640,
    "height": 480,
    "created_at": "2026-12-03T10:01:12Z",
    "reviewed_at": None,
}
