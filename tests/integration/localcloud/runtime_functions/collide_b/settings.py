"""Same module name in two functions; each must see its own."""

SERVICE = "b"
