"""Pure accounting rules: no FastAPI, SQLAlchemy or aio-pika here."""
