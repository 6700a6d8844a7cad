"""AWS::Cognito::UserPool, UserPoolClient and UserPoolGroup.

Cognito does not make names unique, so an existing pool (client) with the same name
is reused: that is what makes provisioning again idempotent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from localcloud.cloudformation.intrinsics import ACCOUNT_ID, cfn_string
from localcloud.cloudformation.provisioning.context import (
    ProvisionContext,
    Provisioned,
    Resource,
    ResourceKind,
)

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

_POOL_SETTINGS = (
    "Policies",
    "AutoVerifiedAttributes",
    "AliasAttributes",
    "UsernameAttributes",
    "SmsVerificationMessage",
    "EmailVerificationMessage",
    "EmailVerificationSubject",
    "VerificationMessageTemplate",
    "SmsAuthenticationMessage",
    "MfaConfiguration",
    "DeviceConfiguration",
    "EmailConfiguration",
    "SmsConfiguration",
    "AdminCreateUserConfig",
    "Schema",
    "UserPoolAddOns",
    "UsernameConfiguration",
    "AccountRecoverySetting",
    "UserAttributeUpdateSettings",
)
_CLIENT_SETTINGS = (
    "ExplicitAuthFlows",
    "ReadAttributes",
    "WriteAttributes",
    "AccessTokenValidity",
    "IdTokenValidity",
    "RefreshTokenValidity",
    "TokenValidityUnits",
    "AuthSessionValidity",
    "SupportedIdentityProviders",
    "CallbackURLs",
    "LogoutURLs",
    "DefaultRedirectURI",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData",
)
_INTEGER_CLIENT_SETTINGS = (
    "AccessTokenValidity",
    "IdTokenValidity",
    "RefreshTokenValidity",
    "AuthSessionValidity",
)
_BOOLEAN_CLIENT_SETTINGS = (
    "AllowedOAuthFlowsUserPoolClient",
    "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData",
)
_PAGE_SIZE = 60
_DEFAULT_AUTH_FLOWS = ("ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH")
_ADMIN_AUTH_FLOWS = ("ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")
_LEGACY_ADMIN_AUTH_FLOWS = ("ADMIN_NO_SRP_AUTH",)


def create_user_pool(resource: Resource, context: ProvisionContext) -> Provisioned:
    name = resource.physical_name(context.stack.name, "UserPoolName")
    settings = {
        key: resource.properties[key] for key in _POOL_SETTINGS if key in resource.properties
    }
    cognito = context.clients.cognito()
    with context.calling_emulator(resource):
        pool_id = _find_pool_id(cognito, name)
        if pool_id is None:
            pool = cognito.create_user_pool(PoolName=name, **settings)["UserPool"]
        else:
            pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    pool_id = pool["Id"]
    context.pool_logical_ids[pool_id] = resource.logical_id
    context.pool_clients.setdefault(pool_id, [])
    context.pool_groups.setdefault(pool_id, [])
    provider = f"cognito-idp.{context.stack.region}.amazonaws.com/{pool_id}"
    arn = pool.get("Arn") or _pool_arn(context, pool_id)
    context.pool_arns[pool_id] = arn
    return Provisioned(
        ref=pool_id,
        attributes={
            "Arn": arn,
            "ProviderName": provider,
            "ProviderURL": f"https://{provider}",
            "UserPoolId": pool_id,
        },
    )


def _pool_arn(context: ProvisionContext, pool_id: str) -> str:
    partition = context.resolver.pseudo["AWS::Partition"]
    return f"arn:{partition}:cognito-idp:{context.stack.region}:{ACCOUNT_ID}:userpool/{pool_id}"


def _find_pool_id(cognito: CognitoIdentityProviderClient, name: str) -> str | None:
    request: dict[str, Any] = {"MaxResults": _PAGE_SIZE}
    while True:
        page = cognito.list_user_pools(**request)
        for pool in page.get("UserPools", []):
            if pool.get("Name") == name:
                return pool["Id"]
        if not page.get("NextToken"):
            return None
        request["NextToken"] = page["NextToken"]


def create_user_pool_client(resource: Resource, context: ProvisionContext) -> Provisioned:
    pool_id = cfn_string(resource.properties.get("UserPoolId"))
    name = resource.physical_name(context.stack.name, "ClientName")
    settings = _client_settings(resource)
    cognito = context.clients.cognito()
    with context.calling_emulator(resource):
        client_id = _find_client_id(cognito, pool_id, name)
        if client_id is None:
            client = cognito.create_user_pool_client(
                UserPoolId=pool_id,
                ClientName=name,
                GenerateSecret=resource.flag("GenerateSecret"),
                **settings,
            )["UserPoolClient"]
        else:
            client = cognito.update_user_pool_client(
                UserPoolId=pool_id, ClientId=client_id, ClientName=name, **settings
            )["UserPoolClient"]
    context.pool_clients.setdefault(pool_id, []).append(client["ClientId"])
    attributes = {"ClientId": client["ClientId"], "Name": name}
    if client.get("ClientSecret"):
        attributes["ClientSecret"] = client["ClientSecret"]
    return Provisioned(ref=client["ClientId"], attributes=attributes)


def _client_settings(resource: Resource) -> dict[str, Any]:
    properties = resource.properties
    settings = {key: properties[key] for key in _CLIENT_SETTINGS if key in properties}
    for key in _INTEGER_CLIENT_SETTINGS:
        if key in settings:
            settings[key] = resource.integer(key)
    for key in _BOOLEAN_CLIENT_SETTINGS:
        if key in settings:
            settings[key] = resource.flag(key)
    settings["ExplicitAuthFlows"] = with_admin_password_auth(settings.get("ExplicitAuthFlows"))
    return settings


def with_admin_password_auth(flows: list[str] | None) -> list[str]:
    """The client's auth flows plus admin password auth, which the local cloud signs users in
    with. Legacy flow names cannot be mixed with ALLOW_* ones, so the matching name is added."""
    current = list(flows or _DEFAULT_AUTH_FLOWS)
    legacy = not any(flow.startswith("ALLOW_") for flow in current)
    wanted = _LEGACY_ADMIN_AUTH_FLOWS if legacy else _ADMIN_AUTH_FLOWS
    return current + [flow for flow in wanted if flow not in current]


def _find_client_id(cognito: CognitoIdentityProviderClient, pool_id: str, name: str) -> str | None:
    request: dict[str, Any] = {"UserPoolId": pool_id, "MaxResults": _PAGE_SIZE}
    while True:
        page = cognito.list_user_pool_clients(**request)
        for client in page.get("UserPoolClients", []):
            if client.get("ClientName") == name:
                return client["ClientId"]
        if not page.get("NextToken"):
            return None
        request["NextToken"] = page["NextToken"]


def create_user_pool_group(resource: Resource, context: ProvisionContext) -> Provisioned:
    pool_id = cfn_string(resource.properties.get("UserPoolId"))
    name = resource.physical_name(context.stack.name, "GroupName")
    settings: dict[str, Any] = {
        key: resource.properties[key]
        for key in ("Description", "RoleArn")
        if key in resource.properties
    }
    if "Precedence" in resource.properties:
        settings["Precedence"] = resource.integer("Precedence")
    cognito = context.clients.cognito()
    with context.calling_emulator(resource):
        try:
            cognito.create_group(UserPoolId=pool_id, GroupName=name, **settings)
        except cognito.exceptions.GroupExistsException:
            cognito.update_group(UserPoolId=pool_id, GroupName=name, **settings)
    context.pool_groups.setdefault(pool_id, []).append(name)
    return Provisioned(ref=name)


KINDS = {
    "AWS::Cognito::UserPool": ResourceKind(
        create=create_user_pool,
        properties=frozenset({"UserPoolName", *_POOL_SETTINGS}),
        ignored_properties={
            "UserPoolTags": "tags have no local effect",
            "DeletionProtection": "local pools are never deleted by provisioning",
            "UserPoolTier": "feature plans differ only in price and quotas",
        },
    ),
    "AWS::Cognito::UserPoolClient": ResourceKind(
        create=create_user_pool_client,
        properties=frozenset({"UserPoolId", "ClientName", "GenerateSecret", *_CLIENT_SETTINGS}),
        ignored_properties={"AnalyticsConfiguration": "no Pinpoint analytics locally"},
    ),
    "AWS::Cognito::UserPoolGroup": ResourceKind(
        create=create_user_pool_group,
        properties=frozenset({"UserPoolId", "GroupName", "Description", "Precedence", "RoleArn"}),
    ),
}
