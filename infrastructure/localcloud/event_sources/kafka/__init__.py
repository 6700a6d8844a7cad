"""Kafka (Amazon MSK and self-managed) event source mappings and the local broker that stands in
for the cluster.
"""
