//! The policies: one for the operator (msting) and one per service, each the least that its
//! holder needs. Paths are written against the configured KV mount.

/// The transit key stingd's envelope encryption uses.
pub const STINGD_TRANSIT_KEY: &str = "stingd";
/// Where transit is mounted.
pub const TRANSIT_MOUNT: &str = "transit";

/// msting: the stack's secrets, key rotation, AppRole secret-ids for the services, rekeying,
/// raft snapshots for backups, sealing. Not: reading audit logs' content, or anything of
/// another mount.
pub fn operator(kv: &str) -> String {
    format!(
        r#"path "{kv}/*" {{ capabilities = ["create", "read", "update", "delete", "list"] }}
path "{TRANSIT_MOUNT}/keys/*" {{ capabilities = ["create", "read", "update", "list"] }}
path "auth/approle/role/*" {{ capabilities = ["create", "read", "update", "list"] }}
path "sys/policies/acl/*" {{ capabilities = ["create", "read", "update", "list"] }}
path "sys/mounts" {{ capabilities = ["read"] }}
path "sys/mounts/*" {{ capabilities = ["create", "read", "update"] }}
path "sys/auth" {{ capabilities = ["read"] }}
path "auth/cert/certs/*" {{ capabilities = ["create", "read", "update"] }}
path "sys/auth/*" {{ capabilities = ["create", "read", "update", "sudo"] }}
path "sys/audit" {{ capabilities = ["read", "sudo"] }}
path "sys/rotate/root/*" {{ capabilities = ["create", "read", "update", "delete", "sudo"] }}
path "sys/rotate/recovery/*" {{ capabilities = ["create", "read", "update", "delete", "sudo"] }}
path "sys/rekey/*" {{ capabilities = ["create", "read", "update", "delete"] }}
path "sys/rekey-recovery-key/*" {{ capabilities = ["create", "read", "update", "delete"] }}
path "sys/storage/raft/snapshot" {{ capabilities = ["read"] }}
path "sys/seal" {{ capabilities = ["update", "sudo"] }}
"#
    )
}

/// stingd: its own keys, its database login, the providers' API keys (read only), and
/// encryption with its transit key (never the key itself, never rotation).
pub fn stingd(kv: &str) -> String {
    let key = STINGD_TRANSIT_KEY;
    format!(
        r#"path "{kv}/data/stingd/*" {{ capabilities = ["read"] }}
path "{kv}/data/database/stingd" {{ capabilities = ["read"] }}
path "{kv}/data/providers/*" {{ capabilities = ["read"] }}
path "{kv}/metadata/providers/" {{ capabilities = ["list"] }}
path "{kv}/data/smtp" {{ capabilities = ["read"] }}
path "{TRANSIT_MOUNT}/encrypt/{key}" {{ capabilities = ["update"] }}
path "{TRANSIT_MOUNT}/decrypt/{key}" {{ capabilities = ["update"] }}
path "{TRANSIT_MOUNT}/rewrap/{key}" {{ capabilities = ["update"] }}
path "{TRANSIT_MOUNT}/datakey/plaintext/{key}" {{ capabilities = ["update"] }}
path "{TRANSIT_MOUNT}/keys/{key}" {{ capabilities = ["read"] }}
"#
    )
}
