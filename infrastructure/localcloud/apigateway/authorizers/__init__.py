"""The REST API's authorizers: Cognito user pools and IAM (SigV4)."""
