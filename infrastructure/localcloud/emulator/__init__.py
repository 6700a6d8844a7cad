"""The AWS emulator (moto's server) in a process of its own, with the patches that make it behave
as AWS does. The only package that imports moto.
"""
