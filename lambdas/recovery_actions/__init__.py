"""Custom-action Lambdas of the ARC Region switch plan: promote, app-config, dns, verify.

Region switch invokes each with its execution metadata (``PlanArn``, ``ExecutionId``,
``StepName``, ``InvokedBy``) and re-runs a step that did not succeed after the plan's retry
interval, until the step's timeout. So every step is idempotent, and a step whose work is still
going on (a promotion) raises ``StepNotDone`` rather than waiting past its budget. The database
work reuses ``backup_jobs.promote`` (lag check, guard rails, tags) unchanged.
"""
