"""A CloudFormation custom resource's side of the conversation: the request Lambda is
invoked with, and the response PUT to the request's pre-signed ResponseURL (what
CloudFormation waits for: a provider that never answers holds the stack until its
ServiceTimeout)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["SUCCESS", "FAILED"]
RESPONSE_TIMEOUT_S = 10.0
MAX_REASON_CHARS = 1000
"""The whole response may not exceed 4096 bytes."""

Put = Callable[[str, bytes, dict[str, str]], None]
"""PUT a body with headers to a URL; raises when it is not accepted."""


class CustomResourceRequest(BaseModel):
    """A Create, Update or Delete request, as CloudFormation sends it."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    request_type: Literal["Create", "Update", "Delete"] = Field(alias="RequestType")
    request_id: str = Field(alias="RequestId")
    response_url: str = Field(alias="ResponseURL")
    resource_type: str = Field(alias="ResourceType")
    logical_resource_id: str = Field(alias="LogicalResourceId")
    stack_id: str = Field(alias="StackId")
    physical_resource_id: str | None = Field(default=None, alias="PhysicalResourceId")
    """Given on Update and Delete: the id the last response named."""
    resource_properties: dict[str, Any] = Field(default_factory=dict, alias="ResourceProperties")

    def response(
        self, status: Status, physical_resource_id: str, reason: str = ""
    ) -> dict[str, Any]:
        """The response body: the request's ids copied verbatim, as CloudFormation requires."""
        body: dict[str, Any] = {
            "Status": status,
            "PhysicalResourceId": physical_resource_id,
            "StackId": self.stack_id,
            "RequestId": self.request_id,
            "LogicalResourceId": self.logical_resource_id,
        }
        if reason:
            body["Reason"] = reason[:MAX_REASON_CHARS]
        return body


def send_response(url: str, body: dict[str, Any], put: Put | None = None) -> None:
    """PUT the response to the pre-signed URL. Its signature covers no content type, so
    none is sent (urllib would add one of its own)."""
    data = json.dumps(body).encode()
    headers = {"Content-Type": "", "Content-Length": str(len(data))}
    (put or _http_put)(url, data, headers)


def _http_put(url: str, data: bytes, headers: dict[str, str]) -> None:
    request = urllib.request.Request(url, data=data, headers=headers, method="PUT")
    with urllib.request.urlopen(request, timeout=RESPONSE_TIMEOUT_S):
        pass
