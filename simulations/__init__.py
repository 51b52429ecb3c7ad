"""Simulated NEMT worlds and day replays; built in a later issue."""
