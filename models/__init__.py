"""Learned corrections to free-flow travel times (ETA models); built in a later issue."""
