"""CloudFormation: the template, its SAM transform and intrinsics, and provisioning with one module
per AWS service.
"""
