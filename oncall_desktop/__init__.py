"""oncall-desktop: on-call schedule planning and paging."""

__version__ = "0.1.0"
