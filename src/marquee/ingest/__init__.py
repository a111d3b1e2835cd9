"""Ingest: turning an uploaded master into an adaptive-bitrate HLS + DASH package with artwork."""
