"""The durable job queue: jobs live in the database and any number of workers claim them."""
