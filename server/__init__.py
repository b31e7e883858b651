"""KefuDesk sync server: FastAPI over SQLAlchemy, SQLite or PostgreSQL."""
