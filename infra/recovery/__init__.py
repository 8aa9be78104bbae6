"""The Region switch plan as data: its steps (shared by the stack and the RTO budget) and the
RTO budget computed from them."""
