-- min_reader: 12
-- TOTP secrets sealed by Vault's transit key (`sealed_secret`, `sealed_pending`: `vault:vN:...`
-- text that only Vault opens), so that neither the database nor a dump or plain backup of it
-- holds a secret that makes codes. stingd seals the secrets the plain columns held at its first
-- start on this schema (that takes its Vault) and empties them. An older stingd would find no
-- secret to check codes against: it may not run on this schema (min_reader 12).

ALTER TABLE totp_factors ADD COLUMN sealed_secret text, ADD COLUMN sealed_pending text;
ALTER TABLE totp_factors ALTER COLUMN secret DROP NOT NULL;
