"""The Kafka variant's topics, made by a Lambda-backed CloudFormation custom resource:
MSK Serverless has no AWS::MSK::Topic, so the stack makes its topics through Kafka's
admin API, as any client of the cluster would."""
