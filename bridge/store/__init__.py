"""Persistence: SQLAlchemy 2 (SQLite file with WAL by default, PostgreSQL by URL), Alembic migrations."""
