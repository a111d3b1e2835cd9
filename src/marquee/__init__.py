"""Marquee: a self-hostable video-on-demand platform."""
