"""Region switch drills: start a switchover of an environment's plan, follow it, and report each
step's duration and the total against the plan's RTO objective (``make drill``,
``make drill-report``). The RTO budget (``make rto``) is the estimate the results compare with."""
