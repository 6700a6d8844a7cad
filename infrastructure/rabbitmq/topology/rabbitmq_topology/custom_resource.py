"""A CloudFormation custom resource's side of the conversation: the request Lambda is
invoked with, and the response PUT to its pre-signed ResponseURL (what CloudFormation
waits for: a provider that never answers holds the stack until its ServiceTimeout)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["SUCCESS", "FAILED"]
RESPONSE_TIMEOUT_S = 10.0
MAX_REASON_CHARS = 1000


class CustomResourceRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    request_type: Literal["Create", "Update", "Delete"] = Field(alias="RequestType")
    request_id: str = Field(alias="RequestId")
    response_url: str = Field(alias="ResponseURL")
    logical_resource_id: str = Field(alias="LogicalResourceId")
    stack_id: str = Field(alias="StackId")
    physical_resource_id: str | None = Field(default=None, alias="PhysicalResourceId")
    resource_properties: dict[str, Any] = Field(default_factory=dict, alias="ResourceProperties")

    def response(self, status: Status, physical_id: str, reason: str = "") -> dict[str, Any]:
        body: dict[str, Any] = {
            "Status": status,
            "PhysicalResourceId": physical_id,
            "StackId": self.stack_id,
            "RequestId": self.request_id,
            "LogicalResourceId": self.logical_resource_id,
        }
        if reason:
            body["Reason"] = reason[:MAX_REASON_CHARS]
        return body


def send_response(url: str, body: dict[str, Any]) -> None:
    """PUT the response; the URL's signature covers no content type, so none is sent."""
    data = json.dumps(body).encode()
    headers = {"Content-Type": "", "Content-Length": str(len(data))}
    request = urllib.request.Request(url, data=data, headers=headers, method="PUT")
    with urllib.request.urlopen(request, timeout=RESPONSE_TIMEOUT_S):
        pass
