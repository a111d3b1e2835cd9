"""The catalogue: titles, series, seasons, episodes, people, genres and availability."""
