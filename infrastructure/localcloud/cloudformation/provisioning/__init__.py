"""Creating a template's resources in the emulator, one module per AWS service.

`localcloud.cloudformation.provision` orders the resources and calls these; each module exports a
`KINDS` map from resource type to how that type is created locally.
"""
