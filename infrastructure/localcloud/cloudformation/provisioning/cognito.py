"""AWS::Cognito::UserPool, UserPoolClient, UserPoolGroup, UserPoolUser and
UserPoolUserToGroupAttachment.

Cognito does not make names unique, so an existing pool (client) with the same name
is reused: that is what makes provisioning again idempotent.
"""

from __future__ import annotations

import contextlib
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
    "UsernameAttributes",
    "EmailVerificationMessage",
    "EmailVerificationSubject",
    "VerificationMessageTemplate",
    "MfaConfiguration",
    "AdminCreateUserConfig",
    "Schema",
    "UsernameConfiguration",
    "AccountRecoverySetting",
)
"""Settings the emulated pool honours (the emulator's patches/cognito_sign_up.py: codes,
messages, password policy, case-insensitive usernames)."""
_NO_SMS = "no SMS is sent locally"
_POOL_IGNORED = {
    "UserPoolTags": "tags have no local effect",
    "DeletionProtection": "local pools are never deleted by provisioning",
    "UserPoolTier": "feature plans differ only in price and quotas",
    "EmailConfiguration": (
        "no e-mail leaves the machine: the emulator keeps what the pool sends "
        "(localcloud.emulator.cognito.sent_messages)"
    ),
    "SmsConfiguration": _NO_SMS,
    "SmsVerificationMessage": _NO_SMS,
    "SmsAuthenticationMessage": _NO_SMS,
    "DeviceConfiguration": "devices are not tracked locally",
    "UserPoolAddOns": "no threat protection locally",
    "UserAttributeUpdateSettings": "attribute changes are not held for verification locally",
    "AliasAttributes": "signing in with an alias is not emulated: sign in with the username",
}
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


def create_user_pool_user(resource: Resource, context: ProvisionContext) -> Provisioned:
    """AdminCreateUser. With DesiredDeliveryMediums EMAIL, Cognito e-mails the temporary
    password; the emulator keeps that message instead."""
    pool_id = cfn_string(resource.properties.get("UserPoolId"))
    username = cfn_string(resource.properties.get("Username"))
    request: dict[str, Any] = {"UserPoolId": pool_id, "Username": username}
    for key in ("UserAttributes", "ValidationData", "DesiredDeliveryMediums", "MessageAction"):
        if key in resource.properties:
            request[key] = resource.properties[key]
    if "ForceAliasCreation" in resource.properties:
        request["ForceAliasCreation"] = resource.flag("ForceAliasCreation")
    cognito = context.clients.cognito()
    # A user provisioned before keeps its password and state.
    existing = cognito.exceptions.UsernameExistsException
    with context.calling_emulator(resource), contextlib.suppress(existing):
        cognito.admin_create_user(**request)
    return Provisioned(ref=username)


def create_user_to_group_attachment(resource: Resource, context: ProvisionContext) -> Provisioned:
    pool_id = cfn_string(resource.properties.get("UserPoolId"))
    group = cfn_string(resource.properties.get("GroupName"))
    username = cfn_string(resource.properties.get("Username"))
    cognito = context.clients.cognito()
    with context.calling_emulator(resource):
        cognito.admin_add_user_to_group(UserPoolId=pool_id, GroupName=group, Username=username)
    return Provisioned(ref=f"UserToGroupAttachment-{pool_id}-{group}-{username}")


KINDS = {
    "AWS::Cognito::UserPool": ResourceKind(
        create=create_user_pool,
        properties=frozenset({"UserPoolName", *_POOL_SETTINGS}),
        ignored_properties=_POOL_IGNORED,
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
    "AWS::Cognito::UserPoolUser": ResourceKind(
        create=create_user_pool_user,
        properties=frozenset(
            {
                "UserPoolId",
                "Username",
                "UserAttributes",
                "ValidationData",
                "DesiredDeliveryMediums",
                "MessageAction",
                "ForceAliasCreation",
            }
        ),
        ignored_properties={"ClientMetadata": "no Lambda triggers run for local user pools"},
    ),
    "AWS::Cognito::UserPoolUserToGroupAttachment": ResourceKind(
        create=create_user_to_group_attachment,
        properties=frozenset({"UserPoolId", "GroupName", "Username"}),
    ),
}
