"""Orders service: places orders, follows each one through the saga (reserve stock,
charge, confirm) and lets its shopper read and cancel it."""
