"""Foreground service type names and the error codes of refused starts (ForegroundTypes.kt)."""

from __future__ import annotations

from harness.virtual.apps.sample.jsonargs import BadArguments
from harness.virtual.apps.sample.methods import INTERNAL_ERROR, SECURITY_EXCEPTION
from harness.virtual.system.active_services_policy import (
    ForegroundServiceStartNotAllowedException,
    InvalidForegroundServiceTypeException,
    MissingForegroundServiceTypeException,
    ServiceStartNotAllowedException,
)
from harness.virtual.system.job_info import (
    IllegalArgumentException,
    IllegalStateException,
    SecurityException,
)

# Contract error codes of foreground-service starts.
START_NOT_ALLOWED = "start_not_allowed"
MISSING_TYPE = "missing_type"
NO_ANSWER = "no_answer"

NONE = "none"  # startForeground(id, notification, 0)
DATA_SYNC = "dataSync"
# ForegroundTypes.FLAGS: every type the platform knows (ServiceInfo.FOREGROUND_SERVICE_TYPE_*),
# so a test can ask for one the manifest does not declare and watch the platform refuse it.
FLAGS: dict[str, int] = {
    NONE: 0,
    "camera": 0x40,
    "connectedDevice": 0x10,
    DATA_SYNC: 0x1,
    "health": 0x100,
    "location": 0x8,
    "mediaPlayback": 0x2,
    "mediaProcessing": 0x2000,
    "mediaProjection": 0x20,
    "microphone": 0x80,
    "phoneCall": 0x4,
    "remoteMessaging": 0x200,
    "shortService": 0x800,
    "specialUse": 0x40000000,
    "systemExempted": 0x400,
}


def flag(name: str) -> int:
    """ForegroundTypes.flag: a known type name, or ``bad_arguments``."""
    if name not in FLAGS:
        raise BadArguments(
            f"unknown foreground service type '{name}' (known: {', '.join(FLAGS)})")
    return FLAGS[name]


def name(value: int) -> str:
    """ForegroundTypes.name: the type's name, or ``0x<hex>`` (Integer.toHexString)."""
    for key, bit in FLAGS.items():
        if bit == value:
            return key
    return f"0x{value & 0xFFFFFFFF:x}"


def error_code(exc: BaseException, api_level: int) -> str:
    """ForegroundTypes.errorCode: the contract's code for an exception of a start. The
    Android 12/14 exception classes exist only from those releases on, hence the API checks."""
    if api_level >= 34 and isinstance(
            exc, MissingForegroundServiceTypeException | InvalidForegroundServiceTypeException):
        return MISSING_TYPE
    if api_level >= 31 and isinstance(exc, ForegroundServiceStartNotAllowedException):
        return START_NOT_ALLOWED
    if api_level >= 31 and isinstance(exc, ServiceStartNotAllowedException):
        return START_NOT_ALLOWED
    if isinstance(exc, SecurityException):
        return SECURITY_EXCEPTION
    if isinstance(exc, IllegalArgumentException) and "foregroundServiceType" in str(exc):
        return MISSING_TYPE
    if isinstance(exc, IllegalStateException):
        return START_NOT_ALLOWED
    return INTERNAL_ERROR


def java_class(exc: BaseException) -> str:
    """``e.javaClass.name`` of a platform exception."""
    return str(getattr(exc, "java_class", type(exc).__name__))


def message(exc: BaseException) -> str:
    """``e.message ?: e.toString()``."""
    return str(getattr(exc, "message", None) or exc)
