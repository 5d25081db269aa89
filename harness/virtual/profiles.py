"""What a virtual device claims to be: product identity and build properties per family.

A virtual profile is named ``FAMILY-API`` (``pixel-34``, ``samsung-33``) or just ``FAMILY``
(the family's default API level). Every family reports ``ro.hardware=harness_virtual``, the way
an emulator reports ``ranchu``, so that a lab can tell virtual devices apart from phones.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

RELEASES = {
    26: ("8.0.0", "O"),
    27: ("8.1.0", "O_MR1"),
    28: ("9", "P"),
    29: ("10", "Q"),
    30: ("11", "R"),
    31: ("12", "S"),
    32: ("12", "S_V2"),
    33: ("13", "TIRAMISU"),
    34: ("14", "UPSIDE_DOWN_CAKE"),
    35: ("15", "VANILLA_ICE_CREAM"),
    36: ("16", "BAKLAVA"),
}
BUILD_IDS = {
    26: "OPR6.170623.013",
    27: "OPM1.171019.021",
    28: "PQ3A.190801.002",
    29: "QQ3A.200805.001",
    30: "RQ3A.211001.001",
    31: "SQ3A.220705.004",
    32: "SQ3A.220705.004",
    33: "TQ3A.230805.001",
    34: "AP2A.240805.005",
    35: "AP4A.250205.002",
    36: "BP2A.250605.031",
}
MIN_API = 26
MAX_API = 36


@dataclass(frozen=True)
class VirtualFamily:
    name: str
    manufacturer: str
    brand: str
    model: str
    device: str
    product: str
    default_api: int
    extra_props: dict[str, str] = field(default_factory=dict)
    # Vendor power management that the family's real devices ship with (informational).
    vendor_power_manager: str = ""


FAMILIES: dict[str, VirtualFamily] = {
    f.name: f
    for f in [
        VirtualFamily(
            "virtual", "Harness", "harness", "Virtual Device", "harness_virt", "harness_virt", 34
        ),
        VirtualFamily("pixel", "Google", "google", "Pixel 8", "shiba", "shiba", 34),
        VirtualFamily(
            "samsung",
            "samsung",
            "samsung",
            "SM-S911B",
            "dm1q",
            "dm1qxxx",
            33,
            {"ro.build.version.oneui": "50100"},
            "Samsung Device Care",
        ),
        VirtualFamily(
            "xiaomi",
            "Xiaomi",
            "Xiaomi",
            "23127PN0CG",
            "houji",
            "houji_global",
            34,
            {"ro.mi.os.version.name": "OS1.0"},
            "MIUI/HyperOS PowerKeeper",
        ),
        VirtualFamily(
            "emulator",
            "Google",
            "google",
            "sdk_gphone64_x86_64",
            "emu64xa",
            "sdk_gphone64_x86_64",
            34,
            # What the emulator's kernel command line sets (and device profiles match on).
            {"ro.kernel.qemu": "1", "ro.boot.qemu": "1"},
        ),
    ]
}


@dataclass(frozen=True)
class VirtualProfile:
    family: VirtualFamily
    api_level: int

    @property
    def name(self) -> str:
        return f"{self.family.name}-{self.api_level}"


def resolve_profile(name: str | None, api_level: int | None = None) -> VirtualProfile:
    """``pixel-34`` / ``pixel`` / None, optionally overriding the API level."""
    name = name or "virtual"
    family_name, _, api_text = name.partition("-")
    family = FAMILIES.get(family_name)
    if family is None:
        known = ", ".join(sorted(FAMILIES))
        raise ValueError(f"unknown virtual profile {name!r}; families: {known}")
    api = api_level or (int(api_text) if api_text else family.default_api)
    if not MIN_API <= api <= MAX_API:
        raise ValueError(f"API level {api} not modelled; choose {MIN_API} to {MAX_API}")
    return VirtualProfile(family, api)


def build_properties(profile: VirtualProfile, serial: str) -> dict[str, str]:
    """The read-only properties a device of this profile reports."""
    f = profile.family
    api = profile.api_level
    release, _codename = RELEASES[api]
    build_id = BUILD_IDS[api]
    incremental = f"{api}{zlib.crc32(f.name.encode()) % 100000:05d}"
    fingerprint = (
        f"{f.brand}/{f.product}/{f.device}:{release}/{build_id}/{incremental}:user/release-keys"
    )
    props = {
        "ro.build.version.sdk": str(api),
        "ro.build.version.release": release,
        "ro.build.version.release_or_codename": release,
        "ro.build.version.codename": "REL",
        "ro.build.version.incremental": incremental,
        "ro.build.version.security_patch": "2024-08-05",
        "ro.build.id": build_id,
        "ro.build.display.id": build_id,
        "ro.build.type": "user",
        "ro.build.tags": "release-keys",
        "ro.build.fingerprint": fingerprint,
        "ro.build.description": f"{f.product}-user {release} {build_id} {incremental} release-keys",
        "ro.build.characteristics": "default",
        "ro.product.manufacturer": f.manufacturer,
        "ro.product.brand": f.brand,
        "ro.product.model": f.model,
        "ro.product.name": f.product,
        "ro.product.device": f.device,
        "ro.product.board": f.device,
        "ro.product.cpu.abi": "x86_64" if f.name == "emulator" else "arm64-v8a",
        "ro.product.cpu.abilist": "x86_64,arm64-v8a"
        if f.name == "emulator"
        else "arm64-v8a,armeabi-v7a,armeabi",
        "ro.product.locale": "en-US",
        "ro.product.first_api_level": str(api),
        "ro.vendor.build.fingerprint": fingerprint,
        "ro.hardware": "harness_virtual",
        "ro.boot.hardware": "harness_virtual",
        "ro.serialno": serial,
        "ro.boot.serialno": serial,
        "ro.debuggable": "0",
        "ro.secure": "1",
        "ro.adb.secure": "1",
        "ro.sf.lcd_density": "420",
        "ro.config.low_ram": "false",
        "ro.zygote": "zygote64_32",
        "ro.crypto.state": "encrypted",
        "ro.crypto.type": "file",
        "ro.treble.enabled": "true",
        "ro.kernel.version": "5.15",
        "ro.system.build.version.sdk": str(api),
        "persist.sys.timezone": "Etc/UTC",
        "persist.sys.locale": "en-US",
        "gsm.sim.state": "ABSENT",
    }
    props.update(f.extra_props)
    return props
