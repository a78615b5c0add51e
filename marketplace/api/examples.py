"""Example bodies for the marketplace API's OpenAPI documentation, validated against the
schema by tests/api/test_schema_walk.py."""

CHARACTER_ID = "6c4e2f0a-1b3d-4e5f-8a9b-0c1d2e3f4a5b"
OFFER_ID = "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d"
GRANT_ID = "4d5e6f70-8192-4a3b-9c4d-5e6f708192a3"
TERMS_HASH = "3f2a9c0d5b7e41a68c2d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
GENERATION_ID = "a7b8c9d0-e1f2-4a3b-8c4d-5e6f7a8b9c0d"
WORK_ID = "5d0c1f7e-8a4b-4c52-b1f5-0f6d2e8e7a10"
PARENT_ID = "1e2d3c4b-5a69-4788-9a6b-5c4d3e2f1a0b"
CREATOR_ID = "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e"
APPROVAL_ID = "f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f"

GENERATION_QUEUED = {
    "id": GENERATION_ID,
    "status": "queued",
    "progress": 0,
    "backend": "local",
    "prompt": "Hoshi-chan dances in the rain",
    "character_ids": [CHARACTER_ID],
    "parent": None,
    "storyline": None,
    "duration_s": 5,
    "reason": "",
    "reasons": [],
    "work_id": None,
    "created_at": "2026-04-03T09:00:00Z",
    "finished_at": None,
}
GENERATION_PUBLISHED = {
    **GENERATION_QUEUED,
    "status": "published",
    "progress": 100,
    "work_id": WORK_ID,
    "finished_at": "2026-04-03T09:00:41Z",
}
GENERATION_REFUSED = {
    **GENERATION_QUEUED,
    "status": "refused",
    "progress": 5,
    "prompt": "Hoshi-chan raises a beer in the rain",
    "reason": "Hoshi-chan's terms ban alcohol.",
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
    "finished_at": "2026-04-03T09:00:02Z",
}

WORK = {
    "id": WORK_ID,
    "title": "Hoshi-chan dances in the rain",
    "prompt": "Hoshi-chan dances in the rain",
    "status": "published",
    "creator": "Mika Sato",
    "creator_id": CREATOR_ID,
    "parent": None,
    "depth": 0,
    # Signed media URLs, valid for MEDIA_URL_MAX_AGE seconds (README: "Private media").
    "video_url": f"https://cocreate.example/media/works/{WORK_ID}/video.mp4"
    "?viewer=public&sig=1vKx3c:pX0n6oHq1fRr3bQ2kCZx9qYJwQm1aWl8c4RkUu0fQeA",
    "poster_url": f"https://cocreate.example/media/works/{WORK_ID}/poster.jpg"
    "?viewer=public&sig=1vKx3c:8Hd2sLw0cV3bQnR5tYk7mA1xZeP9oJuF4iG6hWqCyTs",
    "duration_s": 5.0,
    "width": 480,
    "height": 854,
    "frame_count": 120,
    "licenses": [
        {
            "character": CHARACTER_ID,
            "character_name": "Hoshi-chan",
            "grant": GRANT_ID,
            "offer": OFFER_ID,
            "terms_hash": TERMS_HASH,
            "rightsholder": "Hoshi Studio",
            "rev_share_bps": 1500,
            "upstream_model": "absolute",
            "inherited": False,
        }
    ],
    "commercial": True,
    "published_at": "2026-04-03T09:00:41Z",
}
WORK_DETAIL = {**WORK, "ancestors": [], "descendants": [PARENT_ID]}


APPROVAL = {
    "id": APPROVAL_ID,
    "status": "pending",
    "deadline": "2026-04-06T09:00:41Z",
    "decided_at": None,
    "character": CHARACTER_ID,
    "character_name": "Hoshi-chan",
    "work": WORK_ID,
    "work_title": "Hoshi-chan dances in the rain",
    "note": "",
    "declared": {
        "territory": "JP",
        "rating": "all ages",
        "commercial_asked": False,
        "commercial": True,
        "territories_allowed": ["JP"],
        "territories_blocked": [],
        "max_rating": "teen",
    },
}

STORYLINE_ID = "9c8b7a69-5847-4362-a150-4f3e2d1c0b9a"
STORYLINE = {
    "id": STORYLINE_ID,
    "title": "The night the stars fell",
    "premise": "Hoshi-chan wakes to find every star has fallen into the harbour.",
    "owner": "Hoshi Studio",
    "cast": [
        {
            "character_id": CHARACTER_ID,
            "character_name": "Hoshi-chan",
            "offer_id": OFFER_ID,
            "offer_title": "Commercial remix",
        }
    ],
    "opening_work_id": PARENT_ID,
    "starts_at": "2026-04-01T00:00:00Z",
    "ends_at": "2026-04-30T00:00:00Z",
    "max_take_s": 8,
    "join_policy": "licensed",
    "joiner_ids": [],
    "status": "open",
    "closed_at": None,
}
TAKE = {
    **WORK,
    "parent": PARENT_ID,
    "depth": 1,
    "rank": {
        "likes": 12,
        "remixes": 2,
        "age_hours": 5.0,
        "featured": False,
        "score": 0.8839,
    },
}
