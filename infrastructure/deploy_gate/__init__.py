"""The deploy gate: proves that what `sam build` hands to AWS builds and imports.

For each template it builds the artifacts from a clean folder, checks them statically
(wheel platform tags the runtime accepts; no function artifact holding another
service's package) and then imports and invokes every built handler once, in a fresh
interpreter of the template's runtime with Lambda's paths only, against a throw-away
AWS emulator.

    python -m infrastructure.deploy_gate [TEMPLATE ...]
"""
