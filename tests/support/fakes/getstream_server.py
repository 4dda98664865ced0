"""In-process fake of the GetStream Video REST API, for tests.

Serves the three endpoints `getstream` 7.x uses for calls, on a real socket:

    POST /api/v2/video/call/{type}/{id}             get_or_create
    GET  /api/v2/video/call/{type}/{id}             get
    POST /api/v2/video/call/{type}/{id}/mark_ended  end

Bodies follow the SDK's models closely enough that its parser raises no
missing-field warnings; timestamps are unix nanoseconds, which is all the
SDK's datetime decoder accepts. See docs/getstream-notes.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import jwt

JSON = dict[str, Any]

_CALL_PATH = re.compile(
    r"^/api/v2/video/call/(?P<type>[^/]+)/(?P<id>[^/]+)(?P<action>/mark_ended)?$"
)


def now_ns() -> int:
    return time.time_ns()


def sign_webhook(body: bytes, secret: str) -> str:
    """X-Signature value: hex HMAC-SHA256 of the raw body keyed by the API secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_headers(
    body: bytes, api_key: str, api_secret: str, *, webhook_id: str | None = None, attempt: int = 1
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Webhook-Attempt": str(attempt),
        "X-Api-Key": api_key,
        "X-Signature": sign_webhook(body, api_secret),
    }


def user_json(user_id: str, ts: int | None = None) -> JSON:
    ts = now_ns() if ts is None else ts
    return {
        "id": user_id,
        "role": "user",
        "language": "",
        "banned": False,
        "online": False,
        "invisible": False,
        "shadow_banned": False,
        "blocked_user_ids": [],
        "teams": [],
        "custom": {},
        "created_at": ts,
        "updated_at": ts,
    }


def _layout() -> JSON:
    return {"name": "spotlight", "external_app_url": "", "external_css_url": ""}


def call_settings_json() -> JSON:
    return {
        "audio": {
            "access_request_enabled": True,
            "default_device": "speaker",
            "hifi_audio_enabled": False,
            "mic_default_on": True,
            "opus_dtx_enabled": True,
            "redundant_coding_enabled": True,
            "speaker_default_on": True,
        },
        "backstage": {"enabled": False},
        "broadcasting": {
            "enabled": False,
            "hls": {
                "auto_on": False,
                "enabled": False,
                "quality_tracks": ["720p"],
                "layout": _layout(),
            },
            "rtmp": {"enabled": False, "quality": "720p", "layout": _layout()},
        },
        "encryption": {"mode": "disabled"},
        "frame_recording": {"capture_interval_in_seconds": 0, "mode": "disabled"},
        "geofencing": {"names": []},
        "individual_recording": {"mode": "disabled"},
        "limits": {"max_participants_exclude_roles": []},
        "raw_recording": {"mode": "disabled"},
        "recording": {
            "audio_only": False,
            "mode": "available",
            "quality": "720p",
            "layout": _layout(),
        },
        "ring": {
            "auto_cancel_timeout_ms": 30000,
            "incoming_call_timeout_ms": 30000,
            "missed_call_timeout_ms": 0,
        },
        "screensharing": {"access_request_enabled": True, "enabled": True},
        "session": {"inactivity_timeout_seconds": 30},
        "thumbnails": {"enabled": False},
        "transcription": {
            "closed_caption_mode": "disabled",
            "language": "auto",
            "mode": "disabled",
        },
        "video": {
            "access_request_enabled": True,
            "camera_default_on": True,
            "camera_facing": "front",
            "enabled": True,
            "target_resolution": {"height": 720, "width": 1280},
        },
    }


def call_json(
    call_type: str,
    call_id: str,
    *,
    created_by_id: str = "",
    custom: JSON | None = None,
    ts: int | None = None,
) -> JSON:
    ts = now_ns() if ts is None else ts
    return {
        "type": call_type,
        "id": call_id,
        "cid": f"{call_type}:{call_id}",
        "current_session_id": "",
        "backstage": False,
        "captioning": False,
        "recording": False,
        "transcribing": False,
        "translating": False,
        "blocked_user_ids": [],
        "custom": dict(custom or {}),
        "created_by": user_json(created_by_id, ts),
        "created_at": ts,
        "updated_at": ts,
        "egress": {"broadcasting": False, "rtmps": []},
        "ingress": {
            "rtmp": {"address": f"rtmps://ingress.invalid/{call_type}/{call_id}"},
            "srt": {"address": "srt://ingress.invalid?passphrase={passphrase}"},
            "whip": {"address": f"https://ingress.invalid/whip/{call_type}/{call_id}"},
        },
        "settings": call_settings_json(),
    }


def session_started_event(call: JSON, session_id: str, *, ts: int | None = None) -> JSON:
    ts = now_ns() if ts is None else ts
    return {
        "type": "call.session_started",
        "created_at": ts,
        "call_cid": call["cid"],
        "session_id": session_id,
        "call": {**call, "current_session_id": session_id},
    }


def session_ended_event(call: JSON, session_id: str, *, ts: int | None = None) -> JSON:
    ts = now_ns() if ts is None else ts
    return {
        "type": "call.session_ended",
        "created_at": ts,
        "call_cid": call["cid"],
        "session_id": session_id,
        "call": call,
    }


def recording_ready_event(
    call_cid: str,
    session_id: str,
    *,
    url: str,
    filename: str = "recording.mp4",
    start_ns: int | None = None,
    end_ns: int | None = None,
    egress_id: str = "egress-1",
    ts: int | None = None,
) -> JSON:
    ts = now_ns() if ts is None else ts
    end_ns = ts if end_ns is None else end_ns
    start_ns = end_ns - 60_000_000_000 if start_ns is None else start_ns
    return {
        "type": "call.recording_ready",
        "created_at": ts,
        "call_cid": call_cid,
        "egress_id": egress_id,
        "recording_type": "composite",
        "call_recording": {
            "filename": filename,
            "url": url,
            "start_time": start_ns,
            "end_time": end_ns,
            "session_id": session_id,
            "recording_type": "composite",
        },
    }


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    claims: JSON | None = None
    status: int | None = None


@dataclass
class _Fault:
    status: int
    body: JSON | str | None
    headers: dict[str, str]


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[RecordedRequest] = field(default_factory=list)
    calls: dict[str, JSON] = field(default_factory=dict)
    faults: deque[_Fault] = field(default_factory=deque)
    delays: deque[float] = field(default_factory=deque)


def _error(status: int, code: int, message: str) -> JSON:
    return {
        "code": code,
        "message": message,
        "StatusCode": status,
        "duration": "0.01ms",
        "more_info": "",
        "details": [],
    }


class FakeGetStream:
    def __init__(
        self,
        api_key: str = "fake-api-key",
        api_secret: str = "fake-api-secret-fake-api-secret-0123456789",
    ) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self._state = _State()
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._state.lock:
            return list(self._state.requests)

    @property
    def calls(self) -> dict[str, JSON]:
        return self._state.calls

    def start(self) -> FakeGetStream:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeGetStream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(
        self,
        status: int = 500,
        times: int = 1,
        *,
        body: JSON | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` requests with `status`; a str body is sent as text/plain."""
        with self._state.lock:
            for _ in range(times):
                self._state.faults.append(_Fault(status, body, dict(headers or {})))

    def delay_next(self, seconds: float, times: int = 1) -> None:
        with self._state.lock:
            self._state.delays.extend([seconds] * times)

    def reset(self) -> None:
        with self._state.lock:
            self._state.requests.clear()
            self._state.calls.clear()
            self._state.faults.clear()
            self._state.delays.clear()

    def _handle(self, req: RecordedRequest) -> tuple[int, JSON | str, dict[str, str]]:
        st = self._state
        with st.lock:
            st.requests.append(req)
            delay = st.delays.popleft() if st.delays else 0.0
            fault = st.faults.popleft() if st.faults else None
        if delay:
            self._stop.wait(delay)
        if fault is not None:
            body = (
                fault.body if fault.body is not None else _error(fault.status, -1, "injected fault")
            )
            return fault.status, body, fault.headers

        if req.query.get("api_key") != self.api_key:
            return 401, _error(401, 2, "api_key not found"), {}
        token = req.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if req.headers.get("stream-auth-type") != "jwt" or not token:
            return 401, _error(401, 5, "missing JWT"), {}
        try:
            req.claims = jwt.decode(token, self.api_secret, algorithms=["HS256"])
        except jwt.PyJWTError as exc:
            return 401, _error(401, 5, f"invalid token: {exc}"), {}

        m = _CALL_PATH.match(req.path)
        if m is None:
            return 404, _error(404, 16, f"no route {req.method} {req.path}"), {}
        call_type, call_id, action = unquote(m["type"]), unquote(m["id"]), m["action"]
        cid = f"{call_type}:{call_id}"
        with st.lock:
            call = st.calls.get(cid)
            if req.method == "POST" and not action:
                created = call is None
                if call is None:
                    data = (req.json or {}).get("data") or {}
                    creator = (
                        data.get("created_by_id") or (data.get("created_by") or {}).get("id") or ""
                    )
                    call = call_json(
                        call_type, call_id, created_by_id=creator, custom=data.get("custom")
                    )
                    st.calls[cid] = call
                return 200, {**self._call_body(call), "created": created}, {}
            if call is None:
                return 404, _error(404, 16, f"call {cid} does not exist"), {}
            if req.method == "GET" and not action:
                return 200, self._call_body(call), {}
            if req.method == "POST" and action:
                call["ended_at"] = call["updated_at"] = now_ns()
                return 200, {"duration": "0.42ms"}, {}
        return 405, _error(405, 4, f"method {req.method} not allowed"), {}

    @staticmethod
    def _call_body(call: JSON) -> JSON:
        return {
            "duration": "0.42ms",
            "call": json.loads(json.dumps(call)),
            "members": [],
            "own_capabilities": [],
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                url = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    payload = json.loads(raw) if raw else None
                except ValueError:
                    payload = raw.decode(errors="replace")
                req = RecordedRequest(
                    method=self.command,
                    path=url.path,
                    query=dict(parse_qsl(url.query)),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    json=payload,
                )
                status, body, headers = fake._handle(req)
                req.status = status
                is_text = isinstance(body, str)
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header(
                        "Content-Type", "text/plain" if is_text else "application/json"
                    )
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        return Handler
