"""A small HTTP client for tests: requests against the local cloud's API as a
demo user (Cognito IdToken), anonymously, or signed with SigV4 (internal callers)."""

from __future__ import annotations

import json
from typing import Any

import requests

from localcloud.apigateway.authorizers.sigv4 import sign_request
from localcloud.emulator.process import LOCAL_CREDENTIALS


class ApiClient:
    def __init__(self, api_url: str, region: str, token: str | None = None) -> None:
        self.api_url = api_url
        self.region = region
        self._session = requests.Session()
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        if body is not None:
            kwargs["data"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
            kwargs.setdefault("headers", {})["Content-Type"] = "application/json"
        return self._session.request(method, f"{self.api_url}{path}", timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def signed(self, method: str, path: str, body: Any = None) -> requests.Response:
        """A SigV4-signed call, as an internal service signs it (AWS_IAM routes)."""
        url = f"{self.api_url}{path}"
        data = b"" if body is None else json.dumps(body).encode()
        headers = sign_request(
            method,
            url,
            data,
            {"Content-Type": "application/json"},
            access_key=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            secret_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region=self.region,
        )
        return requests.request(method, url, data=data, headers=headers, timeout=30)
