"""API Gateway (REST): routes, the Lambda proxy integration, the HTTP server and the authorizers."""
