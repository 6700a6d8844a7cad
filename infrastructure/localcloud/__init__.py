"""A local AWS cloud that runs a SAM template without Docker.

It reads `template.yaml`, provisions the template's resources into an AWS
emulator (moto's server), serves the template's API, and invokes the Lambda
handlers from the template's event sources. It knows nothing about the
application it runs.
"""
