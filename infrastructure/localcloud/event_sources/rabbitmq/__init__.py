"""Amazon MQ for RabbitMQ event source mappings, and the local broker that stands in for
the Amazon MQ broker.

The kind the registry lists is in `kind.py`, not here: `petstore up` imports `broker`
(for its errors and its check of an external broker) before it starts the emulator, and
importing this package must not bring provisioning and the SAM translator with it."""
