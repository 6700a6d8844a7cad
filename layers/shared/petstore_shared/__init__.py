"""Code shared by every pet store service, shipped as a Lambda layer."""
