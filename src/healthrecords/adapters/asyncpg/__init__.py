"""The lean PostgreSQL read path: asyncpg directly, statements prepared once.

SQLAlchemy keeps the schema, the migrations, every write and the SQLite
adapter; the same statements (adapters/sqlalchemy/repositories/*_queries.py)
are compiled here once to asyncpg's `$n` form, so both paths run one SQL.
"""
