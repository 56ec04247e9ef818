-- Free text: a trigram GIN index of events.search_text (pg_trgm), so a word or phrase is looked up
-- instead of scanned for. Search matches a term anywhere in the text ('berl' finds Berlin), which
-- pg_trgm serves for LIKE '%term%'; a tsvector index only finds whole words. The index is lossy and
-- PostgreSQL rechecks every row it names, so a term means exactly what it meant before. Created on the
-- partitioned table, it is built on every month partition, now and to come, and kept by every insert
-- in the inserting transaction; dropping a partition drops its part.
--
-- pg_trgm ships with PostgreSQL (Debian's postgresql package) and is a trusted extension: a role with
-- CREATE on the database may install it. When this role may not, a superuser runs
-- CREATE EXTENSION pg_trgm once in the database (docs/postgres.md).
DO $$
DECLARE
    trgm_schema name;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        BEGIN
            CREATE EXTENSION pg_trgm;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'free-text search needs the pg_trgm extension, which this role may not create: run CREATE EXTENSION pg_trgm in database % as a superuser or the database owner', current_database()
                USING ERRCODE = 'insufficient_privilege';
        END;
    END IF;

    -- The operator class lives where the extension was installed, which may be another schema.
    SELECT n.nspname INTO trgm_schema FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace WHERE x.extname = 'pg_trgm';
    EXECUTE format('CREATE INDEX gx_events_text ON events USING gin (search_text %I.gin_trgm_ops)', trgm_schema);
END
$$;
