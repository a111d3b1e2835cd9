"""A profile's own library: the titles saved to My List and thumbs up/down ratings."""
