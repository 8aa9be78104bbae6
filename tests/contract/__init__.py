"""Contract tests: each reads both sides of one link between two pieces (an alarm and the code
that emits its metric, a health check and the listener it probes, a name one stack writes and
another reads, a retention rule and a quota) and fails when they disagree."""
