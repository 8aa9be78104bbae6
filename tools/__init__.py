"""Developer and CI tooling that is not part of the deployed app."""
