-- Checkpoint rows form a chain (ChainVerifier): each names the size of the checkpoint signed before
-- it, and the tenant row names the latest, so a removed checkpoint row is found and named by its size.
ALTER TABLE checkpoints ADD COLUMN previous_size INTEGER;
UPDATE checkpoints SET previous_size = coalesce(
    (SELECT max(p.size) FROM checkpoints p WHERE p.tenant_id = checkpoints.tenant_id AND p.size < checkpoints.size), 0);
ALTER TABLE tenants ADD COLUMN checkpoint_size INTEGER NOT NULL DEFAULT 0;
UPDATE tenants SET checkpoint_size = coalesce((SELECT max(c.size) FROM checkpoints c WHERE c.tenant_id = tenants.id), 0);
