"""The paging station: webhook intake, incidents, and the escalation engine that pages people."""
