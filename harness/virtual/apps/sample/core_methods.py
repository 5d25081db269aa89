"""``ping``, ``state`` and ``reset`` (ControlProvider.kt)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.app import contract as c
from harness.virtual.apps.sample import device_state, methods
from harness.virtual.apps.sample.jsonargs import Args, ok
from harness.virtual.apps.sample.methods import register

if TYPE_CHECKING:
    from harness.virtual.apps.sample.app import SampleAppModel


@register("ping")
def ping(app: SampleAppModel, args: Args) -> dict[str, Any]:
    """Identity, versions, boot count, process and device state."""
    return ok(
        contract_version=c.CONTRACT_VERSION,
        package=app.package.name,
        version_code=app.package.version_code,
        api_level=app.device.api_level,
        target_sdk=app.package.target_sdk,
        boot_count=device_state.boot_count(app.system),
        pid=app.process.pid,
        process_start_elapsed_ms=app.process.start_elapsed_ms,  # Process.getStartElapsedRealtime
        state=device_state.state_json(app.system, app.package.name),
    )


@register("state")
def state(app: SampleAppModel, args: Args) -> dict[str, Any]:
    return ok(state=device_state.state_json(app.system, app.package.name))


@register("reset")
def reset(app: SampleAppModel, args: Args) -> dict[str, Any]:
    """Cancels everything the app scheduled; one failing kind does not stop the rest."""
    return methods.reset(app)
