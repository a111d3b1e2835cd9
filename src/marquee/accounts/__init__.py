"""Users, tokens, profiles, plans, subscriptions and entitlements."""
