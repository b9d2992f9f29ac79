"""A fake HTTP transport for the provider SDKs: recorded answers per route, every request kept."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from pathlib import Path

import httpx

RECORDINGS = Path(__file__).with_name("recordings")
Answer = Exception | Callable[[httpx.Request], httpx.Response]


def recorded_json(name: str) -> Answer:
    body = json.loads((RECORDINGS / name).read_text())
    return lambda request: httpx.Response(200, json=body)


def recorded_sse(name: str) -> Answer:
    body = (RECORDINGS / name).read_bytes()
    return lambda request: httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})


def failure(status: int, message: str = "recorded failure", headers: dict[str, str] | None = None) -> Answer:
    body = {"error": {"message": message, "code": status}}
    return lambda request: httpx.Response(status, json=body, headers=headers or {})


class Replay:
    """Answers a request with the next answer queued for the first route its path ends with; the last
    answer of a route repeats."""

    def __init__(self) -> None:
        self.routes: dict[str, deque[Answer]] = {}
        self.requests: list[httpx.Request] = []

    def on(self, path_end: str, *answers: Answer) -> Replay:
        self.routes.setdefault(path_end, deque()).extend(answers)
        return self

    def calls(self, path_end: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith(path_end)]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for path_end, answers in self.routes.items():
            if request.url.path.endswith(path_end):
                if not answers:
                    raise AssertionError(f"no answer left for {request.url.path}")
                answer = answers.popleft() if len(answers) > 1 else answers[0]
                if isinstance(answer, Exception):
                    raise answer
                return answer(request)
        raise AssertionError(f"unexpected request {request.method} {request.url}")
