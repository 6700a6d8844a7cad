"""Changes to moto's behaviour, each installed by the emulator's server before it serves."""
