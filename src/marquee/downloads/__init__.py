"""Offline downloads: the plan's count of them, their licences and the positions they bring back."""
