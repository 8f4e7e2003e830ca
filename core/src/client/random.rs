//! The client's source of randomness for reconnect jitter (the policy itself takes it as an
//! argument; see `sync::device`).

/// A random u64 from the operating system's generator (through uuid, already a dependency).
pub fn random_u64() -> u64 {
    let bits = uuid::Uuid::new_v4().as_u128();
    (bits >> 64) as u64 ^ bits as u64
}
