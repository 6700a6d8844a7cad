"""`petstore`: the developer's command line for the pet store's local cloud."""
