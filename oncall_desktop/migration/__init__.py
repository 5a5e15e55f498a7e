"""Moving from Grafana OnCall, Opsgenie and PagerDuty (SPEC §11): read a source's public REST API (or
a directory of its saved answers), turn it into a §6 configuration, list everything that could not be
carried over, and compare the migrated schedules with the source's own.

No Qt, no SQL: the command line and the app's import wizard both use it, and it stores nothing.
"""
