"""The swap engine: checks instructions, drives both legs, recovers after a restart."""
