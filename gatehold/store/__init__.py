"""Persistence: SQLAlchemy Core over SQLite or PostgreSQL (db.py), the tables
(schema.py), migrations, and one module of plain functions per kind of row. All of
gatehold's SQL lives here; nothing here imports a layer above."""
