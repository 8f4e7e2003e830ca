//! What the device-client tests share: a client configuration that retries quickly, and a visit
//! to create.

use std::time::Duration;

use enlace_core::DocumentId;
use enlace_core::client::ClientConfig;
use enlace_core::model::client_visit::VisitKind;
use enlace_core::model::{ClientVisit, Instant};

/// A client for `url` that retries and notices a dead server quickly, as tests need.
pub fn quick_config(url: &str) -> ClientConfig {
    let mut config = ClientConfig::new(url);
    config.backoff_initial = Duration::from_millis(50);
    config.backoff_max = Duration::from_millis(400);
    config.heartbeat_interval = Duration::from_secs(1);
    config.heartbeat_timeout = Duration::from_secs(4);
    config
}

/// A new client meeting on account `acc-vina-sur` by `user-ana`, titled `title`.
pub fn visit(title: &str) -> ClientVisit {
    ClientVisit::new(
        DocumentId::new_random(),
        "acc-vina-sur".parse().expect("id"),
        "user-ana".parse().expect("id"),
        Instant::new(1_700_000_000_000, "America/Santiago").expect("instant"),
        VisitKind::ClientMeeting,
        title,
    )
}
