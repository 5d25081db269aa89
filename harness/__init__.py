"""Test Android background work on real devices, emulators and a virtual device."""

__version__ = "0.1.0"
