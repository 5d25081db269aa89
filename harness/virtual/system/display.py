"""DisplayManagerService (``dumpsys display``) and SurfaceFlinger's display list.

The numbers come from the window manager (size overrides, density, rotation) and the power
manager (display state). Tools parse this dump: adbutils takes the first ``orientation=`` of
``dumpsys display`` as the rotation, so the viewport line (DisplayViewport.toString) comes
first, as in the real dump where ``mViewports`` precedes the device and logical displays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.virtual.system.base import SystemService, system_service
from harness.virtual.system.power import PowerManagerService
from harness.virtual.system.window import WindowManagerService

if TYPE_CHECKING:
    from harness.virtual.shell.registry import Invocation

# The physical display id SurfaceFlinger derives from the panel's EDID port; an emulator's
# value, so `screencap -d` and `dumpsys SurfaceFlinger --display-id` agree.
PHYSICAL_DISPLAY_ID = 4619827259835644672
UNIQUE_ID = f"local:{PHYSICAL_DISPLAY_ID}"


@system_service
class DisplayManagerService(SystemService):
    names = ("display",)
    order = 41

    @property
    def _wm(self) -> WindowManagerService:
        return self.system.service(WindowManagerService)

    @property
    def _state(self) -> str:
        power = self.system.maybe_service(PowerManagerService)
        return "ON" if power is None or power.screen_on else "OFF"

    async def dump(self, inv: Invocation, args: list[str]) -> int:
        wm = self._wm
        pw, ph = wm.physical_size
        nw, nh = wm.size
        w, h = wm.logical_size
        rot = wm.rotation
        density = wm.density
        state = self._state
        inv.outln("DISPLAY MANAGER (dumpsys display)")
        inv.outln("  mOnlyCore=false")
        inv.outln("  mSafeMode=false")
        inv.outln("  mPendingTraversal=false")
        inv.outln(f"  mGlobalDisplayState={state}")
        # DisplayDevice.populateViewportLocked: device size follows the rotation.
        inv.outln(
            f"  mViewports=[DisplayViewport{{type=INTERNAL, valid=true, isActive=true, "
            f"displayId=0, uniqueId='{UNIQUE_ID}', physicalPort=0, orientation={rot}, "
            f"logicalFrame=Rect(0, 0 - {w}, {h}), physicalFrame=Rect(0, 0 - {w}, {h}), "
            f"deviceWidth={w}, deviceHeight={h}}}]"
        )
        inv.outln("  mDefaultDisplayDefaultColorMode=0")
        inv.outln("  mWifiDisplayScanRequestCount=0")
        inv.outln("  mStableDisplaySize=Point(" + f"{pw}, {ph})")
        inv.outln()
        inv.outln("Display Adapters: size=1")
        inv.outln("  LocalDisplayAdapter")
        inv.outln()
        inv.outln("Display Devices: size=1")
        inv.outln(
            f'  DisplayDeviceInfo{{"Built-in Screen": uniqueId="{UNIQUE_ID}", {pw} x {ph}, '
            f"modeId 1, defaultModeId 1, supportedModes [{{id=1, width={pw}, height={ph}, "
            f"fps=60.0}}], density {wm.physical_density}, {wm.physical_density}.0 x "
            f"{wm.physical_density}.0 dpi, appVsyncOff 1000000, presDeadline 16666666, "
            f"touch INTERNAL, rotation 0, type INTERNAL, address {{port=0, model=0x0}}, "
            f"state {state}, FLAG_DEFAULT_DISPLAY, FLAG_ROTATES_WITH_CONTENT, FLAG_SECURE, "
            f"FLAG_SUPPORTS_PROTECTED_BUFFERS}}"
        )
        inv.outln()
        inv.outln("Logical Displays: size=1")
        inv.outln("  Display 0:")
        inv.outln("    mDisplayId=0")
        inv.outln("    mLayerStack=0")
        inv.outln("    mHasContent=true")
        inv.outln("    mRequestedMinimalPostProcessing=false")
        inv.outln(
            f'    mBaseDisplayInfo=DisplayInfo{{"Built-in Screen", displayId 0, '
            f'uniqueId "{UNIQUE_ID}", app {pw} x {ph}, real {pw} x {ph}, '
            f"largest app {max(pw, ph)} x {max(pw, ph)}, smallest app {min(pw, ph)} x "
            f"{min(pw, ph)}, appVsyncOff 1000000, presDeadline 16666666, mode 1, "
            f"defaultMode 1, rotation 0, density {wm.physical_density} "
            f"({wm.physical_density}.0 x {wm.physical_density}.0) dpi, layerStack 0, "
            f"type INTERNAL, address {{port=0, model=0x0}}, state {state}, "
            f"FLAG_SECURE, FLAG_SUPPORTS_PROTECTED_BUFFERS, FLAG_TRUSTED}}"
        )
        inv.outln(
            f'    mOverrideDisplayInfo=DisplayInfo{{"Built-in Screen", displayId 0, '
            f'uniqueId "{UNIQUE_ID}", app {w} x {h}, real {w} x {h}, '
            f"largest app {max(nw, nh)} x {max(nw, nh)}, smallest app {min(nw, nh)} x "
            f"{min(nw, nh)}, appVsyncOff 1000000, presDeadline 16666666, mode 1, "
            f"defaultMode 1, rotation {rot}, density {density} ({wm.physical_density}.0 x "
            f"{wm.physical_density}.0) dpi, layerStack 0, type INTERNAL, "
            f"address {{port=0, model=0x0}}, state {state}, FLAG_SECURE, "
            f"FLAG_SUPPORTS_PROTECTED_BUFFERS, FLAG_TRUSTED}}"
        )
        return 0

    async def shell_command(self, inv: Invocation, args: list[str]) -> int:
        if not args or args[0] in ("help", "-h"):
            inv.outln("Display manager commands:")
            inv.outln("  help")
            inv.outln("    Print this help text.")
            return 255
        inv.outln(f"Unknown command: {args[0]}")
        return 255


@system_service
class SurfaceFlingerService(SystemService):
    """The native compositor as ``dumpsys SurfaceFlinger`` shows its displays."""

    names = ("SurfaceFlinger",)
    order = 42

    async def dump(self, inv: Invocation, args: list[str]) -> int:
        wm = self.system.service(WindowManagerService)
        w, h = wm.logical_size
        if "--display-id" in args:
            inv.outln(
                f"Display {PHYSICAL_DISPLAY_ID} (HWC display 0): port=0 pnpId=HVD "
                f'displayName="Built-in Screen"'
            )
            return 0
        inv.outln("Display identification data:")
        inv.outln(
            f"Display {PHYSICAL_DISPLAY_ID} (HWC display 0): port=0 pnpId=HVD "
            f'displayName="Built-in Screen"'
        )
        inv.outln()
        inv.outln(f"Display {PHYSICAL_DISPLAY_ID} HWC layers:")
        inv.outln(f"  size={w}x{h} orientation={wm.rotation}")
        return 0
