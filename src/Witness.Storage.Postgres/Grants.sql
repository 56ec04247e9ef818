-- Run after the migrations on every start by a role that owns the schema, so roles the operator
-- created after the first start get their rights too. Re-granting is harmless.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'witness_app') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO witness_app', current_schema());
        -- Events and everything that vouches for them: read and append, never update or delete.
        GRANT SELECT, INSERT ON events, event_ids, event_targets, merkle_nodes, checkpoints, api_keys TO witness_app;
        -- Erasure (docs/erasure.md) rewrites an event's personal values and what is derived from them; its leaf stays.
        GRANT UPDATE (body, personal, actor_email, ip, search_text) ON events TO witness_app;
        GRANT UPDATE (content_digest, marked_emails) ON event_ids TO witness_app;
        -- Keys are revoked (revoked_at), never deleted; failed sign-ins are counted and forgotten.
        GRANT UPDATE ON api_keys TO witness_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON sign_in_failures TO witness_app;
        -- The log head moves on every append; settings change.
        GRANT SELECT, INSERT, UPDATE ON tenants, tenant_settings TO witness_app;
        GRANT SELECT ON schema_migrations TO witness_app;
        -- The first start registers its signing key; a rotation retires the current one and adds the next.
        GRANT SELECT, INSERT, UPDATE ON signing_keys TO witness_app;
        -- Console accounts are managed from the console and the CLI; catalog entries are edited through the API.
        GRANT SELECT, INSERT, UPDATE, DELETE ON console_users TO witness_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON catalog_entries TO witness_app;
        GRANT SELECT, UPDATE ON catalog_version TO witness_app;
        -- What retention kept of purged events, for verification and proofs; alert and webhook state.
        GRANT SELECT ON retention_state, purged_leaf_blocks TO witness_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON alert_rules, alert_seen, alert_cursors, webhooks, webhook_deliveries TO witness_app;
        -- Split rows (029): a new event's personal values, appended with it; an erasure rewrites or deletes them, never the
        -- events row. Reads go through events_joined; the blocks an erasure changed wait in text_blocks_stale for their rebuild.
        GRANT SELECT, INSERT, DELETE ON event_personal TO witness_app;
        GRANT UPDATE (email, ip, text, record) ON event_personal TO witness_app;
        GRANT SELECT ON events_joined TO witness_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON text_blocks_stale TO witness_app;
        GRANT SELECT ON split_rows_from TO witness_app;
        GRANT EXECUTE ON FUNCTION witness_create_event_partitions(date) TO witness_app;
        -- Free-text blocks are written with their events; the backlog of events stored before them shrinks as they are indexed.
        GRANT SELECT, INSERT ON text_blocks TO witness_app;
        -- Erasure sets again the trigrams of the blocks holding erased events.
        GRANT UPDATE (trigrams) ON text_blocks TO witness_app;
        GRANT USAGE ON SEQUENCE text_blocks_block_id_seq TO witness_app;
        GRANT SELECT, UPDATE, DELETE ON text_backlog TO witness_app;
        -- The pre-aggregated counts of events: derived from the log, added to on every append.
        GRANT SELECT, INSERT, UPDATE ON event_counts TO witness_app;
        -- The top lists' day counts and the counts by IP: filled by a count that needs them, forgotten by erasure (023, 028).
        GRANT SELECT, INSERT, DELETE ON key_count_days, actor_day_counts, ip_day_counts, ip_slot_counts, ip_action_counts TO witness_app;
        -- Log streams: definitions, cursors and leases.
        GRANT SELECT, INSERT, UPDATE, DELETE ON log_streams TO witness_app;
        -- The heads log: appended, never changed, except the cosignatures witnesses return for its checkpoints.
        GRANT SELECT, INSERT ON heads_entries, heads_nodes TO witness_app;
        GRANT SELECT, INSERT, UPDATE ON heads_checkpoints TO witness_app;
        -- Witnessing state: each witness's cosignature lines and what it last did (022).
        GRANT SELECT, INSERT, UPDATE ON heads_cosignatures, heads_witnesses TO witness_app;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'witness_retention') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO witness_retention', current_schema());
        GRANT SELECT, DELETE ON events, event_ids, event_targets TO witness_retention;
        -- A purge removes the split rows (029) of its events and forgets their stale blocks.
        GRANT SELECT, DELETE ON event_personal, text_blocks_stale TO witness_retention;
        GRANT SELECT ON events_joined TO witness_retention;
        GRANT SELECT ON tenants, tenant_settings TO witness_retention;
        GRANT EXECUTE ON FUNCTION witness_drop_event_partitions(timestamptz) TO witness_retention;
        GRANT EXECUTE ON FUNCTION witness_drop_empty_event_partitions(timestamptz) TO witness_retention;
        -- A purge reads the events' hashes and the checkpoints, keeps the leaf blocks proofs need and moves the purged prefix.
        GRANT SELECT ON checkpoints, merkle_nodes TO witness_retention;
        GRANT SELECT, INSERT, UPDATE ON retention_state, purged_leaf_blocks TO witness_retention;
        -- A purge removes the free-text blocks of the purged prefix.
        GRANT SELECT, DELETE ON text_blocks TO witness_retention;
        GRANT SELECT, UPDATE, DELETE ON text_backlog TO witness_retention;
        -- A purge takes its events out of the pre-aggregated counts.
        GRANT SELECT, UPDATE, DELETE ON event_counts TO witness_retention;
        -- And forgets the top lists' day counts of the days it touches (023).
        GRANT SELECT, DELETE ON key_count_days, actor_day_counts, ip_day_counts, ip_slot_counts, ip_action_counts TO witness_retention;
    END IF;
END
$$;
