"""The one place that decides whether a configuration is acceptable (SPEC §3 limits, §6 file format).

Two entry points share every rule: `validate_document` turns what `yaml.safe_load` returned into a
`Configuration` (checking types, shapes, unknown keys and secrets on the way: `document`, on the
typed readers of `reader`) and then runs `validate_configuration`, the semantic checks on domain
objects (`checks`) that the GUI also runs on an edited configuration. Each finding is a `Problem`
printed as `error: PATH: reason` or `warning: PATH: reason`, PATH naming the field with 0-based
indices into the file's lists (`rules[1].escalation[2].repeat`).
"""

from oncall_desktop.validation.checks import (
    LEASE_SECONDS,
    MAX_LEVELS_AFTER_ZERO,
    MAX_REPEAT_MINUTES,
    MAX_ROTATION_EVERY,
    MAX_WAIT_MINUTES,
    listen_problem,
    phone_problem,
    validate_configuration,
    validate_settings,
)
from oncall_desktop.validation.document import validate_document
from oncall_desktop.validation.problems import Problem, has_errors, layer_path

__all__ = [
    "LEASE_SECONDS",
    "MAX_LEVELS_AFTER_ZERO",
    "MAX_REPEAT_MINUTES",
    "MAX_ROTATION_EVERY",
    "MAX_WAIT_MINUTES",
    "Problem",
    "has_errors",
    "layer_path",
    "listen_problem",
    "phone_problem",
    "validate_configuration",
    "validate_document",
    "validate_settings",
]
