"""Code shipped in a layer's python/ folder."""


def greet(name):
    return f"hello {name}"
