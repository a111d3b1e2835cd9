"""The event log: viewing, rating and playback events, appended and never updated."""
