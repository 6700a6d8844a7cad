"""The Kafka variant of the pet store's template (Amazon MSK), generated from template.yaml."""
