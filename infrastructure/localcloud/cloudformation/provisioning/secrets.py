"""AWS::SecretsManager::Secret, in the emulator's Secrets Manager: a given SecretString
as it is, or one generated as CloudFormation generates it (GenerateSecretString: a
random password, put under GenerateStringKey of SecretStringTemplate's JSON object).
`!Ref` gives the secret's ARN."""

from __future__ import annotations

import json
from typing import Any

from localcloud.cloudformation.intrinsics import cfn_string
from localcloud.cloudformation.provisioning.context import (
    ProvisionContext,
    Provisioned,
    Resource,
    ResourceKind,
)

GENERATION_OPTIONS = {
    "PasswordLength": int,
    "ExcludeCharacters": str,
    "ExcludeNumbers": bool,
    "ExcludePunctuation": bool,
    "ExcludeUppercase": bool,
    "ExcludeLowercase": bool,
    "IncludeSpace": bool,
    "RequireEachIncludedType": bool,
}


def create_secret(resource: Resource, context: ProvisionContext) -> Provisioned:
    name = resource.physical_name(context.stack.name, "Name")
    with context.calling_emulator(resource):
        secrets = context.clients.client("secretsmanager")
        value = _secret_string(resource, secrets)
        request: dict[str, Any] = {"Name": name, "SecretString": value}
        if resource.properties.get("Description"):
            request["Description"] = cfn_string(resource.properties["Description"])
        try:
            arn = secrets.create_secret(**request)["ARN"]
        except secrets.exceptions.ResourceExistsException:
            # Provisioning again (a reset) keeps the name and gives it the new value.
            arn = secrets.put_secret_value(SecretId=name, SecretString=value)["ARN"]
    return Provisioned(ref=arn, attributes={"Id": arn})


def _secret_string(resource: Resource, secrets: Any) -> str:
    given = resource.properties.get("SecretString")
    generate = resource.properties.get("GenerateSecretString")
    if given is not None and generate is not None:
        raise resource.error("SecretString and GenerateSecretString are mutually exclusive")
    if given is not None:
        return cfn_string(given)
    generate = generate or {}
    if not isinstance(generate, dict):
        raise resource.error("property GenerateSecretString is not an object")
    request = {}
    for option, kind in GENERATION_OPTIONS.items():
        if option in generate:
            value = generate[option]
            request[option] = (
                resource.boolean(value, f"GenerateSecretString.{option}")
                if kind is bool
                else kind(value)
            )
    password = secrets.get_random_password(**request)["RandomPassword"]
    template = generate.get("SecretStringTemplate")
    key = generate.get("GenerateStringKey")
    if (template is None) != (key is None):
        raise resource.error(
            "GenerateSecretString: SecretStringTemplate and GenerateStringKey go together"
        )
    if template is None:
        return str(password)
    try:
        document = json.loads(cfn_string(template))
    except ValueError:
        raise resource.error("GenerateSecretString.SecretStringTemplate is not JSON") from None
    if not isinstance(document, dict):
        raise resource.error("GenerateSecretString.SecretStringTemplate is not a JSON object")
    document[cfn_string(key)] = password
    return json.dumps(document)


KINDS = {
    "AWS::SecretsManager::Secret": ResourceKind(
        create=create_secret,
        properties=frozenset({"Name", "Description", "SecretString", "GenerateSecretString"}),
        ignored_properties={
            "KmsKeyId": "the emulator's secrets are not encrypted with a key of the template's",
            "ReplicaRegions": "one region locally",
            "Tags": "tags have no local effect",
        },
    ),
}
