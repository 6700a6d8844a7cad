"""Who signed an internal (AWS_IAM) request: the identity API Gateway verified."""

from __future__ import annotations

# Imported at run time, not only for type checking: Powertools finds the parameter to
# inject the request into by resolving the dependency's type hints.
from aws_lambda_powertools.event_handler.request import Request

from petstore_shared.domain_errors import Forbidden


def signed_caller_arn(request: Request) -> str:
    """For route parameters: `holder: Annotated[str, Depends(signed_caller_arn)]`. The
    `userArn` API Gateway puts in `requestContext.identity` for a SigV4-signed call (an
    assumed role's session ARN for a Lambda function)."""
    identity = (request.resolved_event.raw_event.get("requestContext") or {}).get("identity")
    user_arn = (identity or {}).get("userArn")
    if not user_arn:
        raise Forbidden("This operation needs a caller signed with AWS SigV4.")
    return str(user_arn)
