"""Shared fixtures: one in-process emulator (ivschat.testing.LocalServer) per session."""
from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import ivschat
from ivschat.testing import LocalServer

REPO = Path(__file__).resolve().parents[2]
MODEL = json.loads((REPO / "codegen" / "model" / "service-2.json").read_text())
SHAPES = MODEL["shapes"]


def snake(name: str) -> str:
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.lower()


def to_kwargs(operation: str, params: Dict[str, Any]) -> Dict[str, Any]:
    """Wire-named params → the snake_case keyword arguments of the Python method."""
    shape = MODEL["operations"][operation]["input"]["shape"]
    return _snake_struct(shape, params)


def _snake_struct(shape_name: str, value: Dict[str, Any]) -> Dict[str, Any]:
    members = SHAPES[shape_name]["members"]
    return {snake(k): _snake_value(members[k]["shape"], v) for k, v in value.items()}


def _snake_value(shape_name: str, value: Any) -> Any:
    s = SHAPES[shape_name]
    if s["type"] == "structure":
        return _snake_struct(shape_name, value)
    if s["type"] == "list":
        return [_snake_value(s["member"]["shape"], v) for v in value]
    return value


class Admin:
    def __init__(self, url: str) -> None:
        self.url = url

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def script(self, responses: List[Any], credentials: Any = None) -> None:
        creds = credentials or {"accessKeyId": "test", "secretAccessKey": "test"}
        self.request("POST", "/_emulator/script", {"responses": responses, "credentials": [creds]})

    def recorded(self) -> List[Dict[str, Any]]:
        return list(self.request("GET", "/_emulator/script/requests")["requests"])

    def unscript(self) -> None:
        self.request("DELETE", "/_emulator/script")


@pytest.fixture(scope="session")
def server() -> Iterator[LocalServer]:
    with LocalServer() as s:
        yield s


@pytest.fixture(scope="session")
def admin(server: LocalServer) -> Admin:
    return Admin(server.endpoint_url)


@pytest.fixture
def scripted(admin: Admin) -> Iterator[Admin]:
    """The script API, cleared after the test."""
    yield admin
    admin.unscript()


@pytest.fixture
def client(server: LocalServer) -> ivschat.Client:
    return ivschat.Client(**server.client_kwargs())


@pytest.fixture
def aclient(server: LocalServer) -> ivschat.AsyncClient:
    return ivschat.AsyncClient(**server.client_kwargs())
