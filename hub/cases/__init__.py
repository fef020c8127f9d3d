"""Cases: one household, one plan, one director. A team's inbox, the work on a case, and the
coordinator's queue of what no rule routed or a team returned."""
