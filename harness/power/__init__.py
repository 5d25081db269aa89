"""Power-state controllers: Doze, battery, battery saver, standby buckets, background
restriction, screen and the Doze whitelist. Each waits on the platform's acknowledgement and
restores what it found."""

from harness.power.battery import Battery, BatteryStatus
from harness.power.controllers import PowerControllers
from harness.power.doze import Doze, DozeState, DozeStepError
from harness.power.restriction import BackgroundRestriction
from harness.power.saver import BatterySaver, BatterySaverRefused
from harness.power.screen import Screen
from harness.power.standby import BucketPinned, Standby
from harness.power.state import PowerState
from harness.power.whitelist import DozeWhitelist

__all__ = [
    "BackgroundRestriction",
    "Battery",
    "BatterySaver",
    "BatterySaverRefused",
    "BatteryStatus",
    "BucketPinned",
    "Doze",
    "DozeState",
    "DozeStepError",
    "DozeWhitelist",
    "PowerControllers",
    "PowerState",
    "Screen",
    "Standby",
]
