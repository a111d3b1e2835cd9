"""Playback: entitled sessions, signed media links, protected keys, resume positions and delivery."""
