"""A loopback fake of the OpenAI videos API, for driving the real ``openai`` SDK in tests.

It speaks exactly what ``openai.resources.videos.Videos`` sends (openai 3.52):

- ``POST /v1/videos``: multipart/form-data fields prompt, model, seconds, size (JSON is
  accepted too); returns a Video object with status ``queued``.
- ``POST /v1/videos/{id}/remix``: JSON field prompt; a new job remixing a completed
  one (``remixed_from_video_id``), 404 for an unknown id.
- ``GET /v1/videos/{id}``: the job moves queued -> in_progress -> completed, one step per
  poll, ``progress`` climbing 0..100 over ``polls_to_complete`` polls.
- ``GET /v1/videos/{id}/content?variant=video|thumbnail|spritesheet``: a real H.264 MP4
  (generated once with PyAV), or a small image for the other variants.

Every request is recorded (``requests``). The same ``Idempotency-Key`` on a create
returns the same job, as a paid API must. Requests without ``Authorization: Bearer
<api_key>`` get a 401.

Scenarios, for the whole fake (``scenario=``) or one prompt (a ``[fake:<scenario>]``
marker in it):

- ``ok``: the job completes and the MP4 is served;
- ``moderation``: the job ends ``failed`` with error code ``moderation_blocked``;
- ``http_<status>`` (``http_500``, ``http_401``, ``http_429``...): create answers that
  status with an OpenAI-shaped error body;
- ``never_finishes``: the job stays ``in_progress``;
- ``garbage``: the job completes but its content is not an MP4.
"""

from __future__ import annotations

import functools
import io
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import av
from PIL import Image

SAMPLE_WIDTH, SAMPLE_HEIGHT, SAMPLE_FPS, SAMPLE_FRAMES = 144, 256, 24, 96
GARBAGE = b"<html><body>502 Bad Gateway, but served as a video</body></html>"
_MARKER = re.compile(r"\[fake:([a-z0-9_]+)\]")
_JOB_PATH = re.compile(r"^/v1/videos/(?P<id>[A-Za-z0-9_-]+)(?P<content>/content)?$")
_REMIX_PATH = re.compile(r"^/v1/videos/(?P<id>[A-Za-z0-9_-]+)/remix$")

_ERROR_TEXT = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("invalid_request_error", "Incorrect API key provided."),
    403: ("invalid_request_error", "Your organization must be verified to use this model."),
    404: ("invalid_request_error", "The requested resource was not found."),
    429: ("requests", "Rate limit reached for requests."),
    500: ("server_error", "The server had an error while processing your request."),
    503: ("server_error", "The engine is currently overloaded, please try again later."),
}


@functools.cache
def sample_mp4() -> bytes:
    """A real H.264 MP4 (144x256, 24 fps, 96 frames = 4 s), encoded once per process."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream(
            "libx264", rate=SAMPLE_FPS, options={"preset": "ultrafast", "crf": "30"}
        )
        stream.width, stream.height, stream.pix_fmt = SAMPLE_WIDTH, SAMPLE_HEIGHT, "yuv420p"
        for index in range(SAMPLE_FRAMES):
            colour = (index * 2 % 256, 80, 200 - index)
            image = Image.new("RGB", (SAMPLE_WIDTH, SAMPLE_HEIGHT), colour)
            for packet in stream.encode(av.VideoFrame.from_image(image)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


@functools.cache
def _sample_image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (SAMPLE_WIDTH, SAMPLE_HEIGHT), (10, 80, 200)).save(buffer, format=fmt)
    return buffer.getvalue()


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    fields: dict[str, str]  # form or JSON fields of a create
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)  # name, type, data


@dataclass
class FakeJob:
    id: str
    prompt: str
    model: str
    seconds: str
    size: str
    scenario: str
    created_at: int
    polls: int = 0
    status: str = "queued"
    progress: int = 0
    error: dict[str, str] | None = None
    completed_at: int | None = None
    remixed_from_video_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "video",
            "created_at": self.created_at,
            "completed_at": self.completed_at,
            "expires_at": self.completed_at + 3600 if self.completed_at else None,
            "error": self.error,
            "model": self.model,
            "progress": self.progress,
            "prompt": self.prompt,
            "remixed_from_video_id": self.remixed_from_video_id,
            "seconds": self.seconds,
            "size": self.size,
            "status": self.status,
        }


@dataclass
class FakeOpenAIVideos:
    """Start with ``with FakeOpenAIVideos() as fake:``; point the SDK at ``fake.base_url``."""

    scenario: str = "ok"
    api_key: str = "sk-test-fake"
    polls_to_complete: int = 3
    requests: list[RecordedRequest] = field(default_factory=list)
    jobs: dict[str, FakeJob] = field(default_factory=dict)
    _by_idempotency_key: dict[str, str] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1), repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake is not running; use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAIVideos:
        sample_mp4()  # encode before the first request, not inside its timeout
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # shutdown() waits up to one interval
            name="fake-openai-videos",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeOpenAIVideos:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path == path]

    @property
    def creates(self) -> list[RecordedRequest]:
        return self.requests_to("POST", "/v1/videos")

    # The handlers below run on the server's threads, one per connection.

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _scenario_for(self, prompt: str) -> str:
        marker = _MARKER.search(prompt)
        return marker.group(1) if marker else self.scenario

    @property
    def remixes(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST" and _REMIX_PATH.match(r.path)]

    def _create(self, request: RecordedRequest, remix_of: str | None = None) -> tuple[int, Any]:
        prompt = request.fields.get("prompt", "")
        if not prompt:
            return _error(400, "Missing required parameter: 'prompt'.", param="prompt")
        scenario = self._scenario_for(prompt)
        if scenario.startswith("http_"):
            return _error(int(scenario.removeprefix("http_")))
        key = request.headers.get("idempotency-key")
        with self._lock:
            if key and key in self._by_idempotency_key:
                return 200, self.jobs[self._by_idempotency_key[key]].as_json()
            source = self.jobs.get(remix_of) if remix_of else None
            if remix_of and (source is None or source.status != "completed"):
                return _error(404, f"Video with id '{remix_of}' not found.", param="video_id")
            job = FakeJob(
                id=f"video_fake{next(self._ids):04d}",
                prompt=prompt,
                model=request.fields.get("model", "sora-2"),
                seconds=request.fields.get("seconds", "4"),
                size=request.fields.get("size", "720x1280"),
                scenario=scenario,
                created_at=int(time.time()),
                remixed_from_video_id=remix_of,
            )
            if source is not None:
                job.seconds, job.size = source.seconds, source.size
            self.jobs[job.id] = job
            if key:
                self._by_idempotency_key[key] = job.id
            return 200, job.as_json()

    def _retrieve(self, job_id: str) -> tuple[int, Any]:
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None:
                return _error(404, f"Video with id '{job_id}' not found.", param="video_id")
            if job.status in ("queued", "in_progress"):
                _advance(job, polls_to_complete=self.polls_to_complete)
            return 200, job.as_json()

    def _content(self, job_id: str, variant: str) -> tuple[int, Any]:
        with self._lock:
            job = self.jobs.get(job_id)
        if job is None:
            return _error(404, f"Video with id '{job_id}' not found.", param="video_id")
        if job.status != "completed":
            return _error(404, "Video is not ready yet, use GET /v1/videos/{video_id} to poll.")
        if variant == "video":
            body = GARBAGE if job.scenario == "garbage" else sample_mp4()
            return 200, ("video/mp4", body)
        if variant == "thumbnail":
            return 200, ("image/webp", _sample_image("WEBP"))
        if variant == "spritesheet":
            return 200, ("image/jpeg", _sample_image("JPEG"))
        return _error(400, f"Invalid value for 'variant': {variant!r}.", param="variant")


def _advance(job: FakeJob, *, polls_to_complete: int) -> None:
    job.polls += 1
    job.status = "in_progress"
    if job.scenario == "never_finishes":
        job.progress = min(job.polls * 10, 90)
    elif job.scenario == "moderation" and job.polls >= 2:
        job.status = "failed"
        job.error = {
            "code": "moderation_blocked",
            "message": "Your request was blocked by our moderation system.",
        }
    elif job.polls >= polls_to_complete:
        job.status, job.progress, job.completed_at = "completed", 100, int(time.time())
    else:
        job.progress = job.polls * 100 // polls_to_complete


def _error(status: int, message: str | None = None, *, param: str | None = None):
    kind, default_message = _ERROR_TEXT.get(status, ("invalid_request_error", "Error."))
    body = {"error": {"message": message or default_message, "type": kind, "param": param}}
    body["error"]["code"] = {401: "invalid_api_key", 429: "rate_limit_exceeded"}.get(status)
    return status, body


def _parse_fields(content_type: str, body: bytes) -> dict[str, str]:
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        return {
            part.get_param("name", header="content-disposition"): part.get_content().strip()
            for part in message.iter_parts()
            if part.get_filename() is None
        }
    if content_type.startswith("application/json") and body:
        return {k: str(v) for k, v in json.loads(body).items()}
    return {k: v[0] for k, v in parse_qs(body.decode()).items()}


def _parse_files(content_type: str, body: bytes) -> dict[str, tuple[str, str, bytes]]:
    if not content_type.startswith("multipart/form-data"):
        return {}
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    return {
        part.get_param("name", header="content-disposition"): (
            part.get_filename(),
            part.get_content_type(),
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()
        if part.get_filename() is not None
    }


def _handler_for(fake: FakeOpenAIVideos) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # the SDK keeps connections alive

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def _handle(self) -> None:
            url = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            request = RecordedRequest(
                method=self.command,
                path=url.path,
                query={k: v[0] for k, v in parse_qs(url.query).items()},
                headers=headers,
                fields={},
            )
            if self.command == "POST":
                request.fields = _parse_fields(headers.get("content-type", ""), body)
                request.files = _parse_files(headers.get("content-type", ""), body)
            fake._record(request)
            if headers.get("authorization") != f"Bearer {fake.api_key}":
                self._reply(*_error(401))
                return
            job = _JOB_PATH.match(url.path)
            remix = _REMIX_PATH.match(url.path)
            if self.command == "POST" and url.path == "/v1/videos":
                self._reply(*fake._create(request))
            elif self.command == "POST" and remix:
                self._reply(*fake._create(request, remix_of=remix["id"]))
            elif self.command == "GET" and job and job["content"]:
                self._reply(*fake._content(job["id"], request.query.get("variant", "video")))
            elif self.command == "GET" and job:
                self._reply(*fake._retrieve(job["id"]))
            else:
                self._reply(*_error(404, f"Unknown route {self.command} {url.path}."))

        def _reply(self, status: int, payload: Any) -> None:
            if isinstance(payload, tuple):
                content_type, data = payload
            else:
                content_type, data = "application/json", json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-request-id", f"req_fake_{len(fake.requests)}")
            if status >= 500 or status == 429:
                # The SDK honours this, so its own retries stay fast in tests.
                self.send_header("retry-after-ms", "1")
            self.end_headers()
            self.wfile.write(data)

    return Handler
