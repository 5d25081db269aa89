"""The device scenario suite: written for any device (phone, emulator or virtual device).

Tests here use only the plugin's fixtures (``device``, ``power``, ``app``...), wait on the
platform's acknowledgements instead of sleeping, and restore whatever they change.
"""
