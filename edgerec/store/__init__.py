"""Storage: the SQLAlchemy schema, engine set-up, the event log, and migrations."""
