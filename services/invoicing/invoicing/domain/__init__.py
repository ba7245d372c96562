"""Pure rules of invoicing: no FastAPI, SQLAlchemy or aio-pika here."""
