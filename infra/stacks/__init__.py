"""One stack class per tier; ``infra.app_builder`` instantiates them per region."""
