//! The gateway's defaults and the environment variables it reads: a module
//! below the gateway, so that what else reads them (trace export) need not
//! import the client.

use std::time::Duration;

/// The Respan gateway's base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.respan.ai/api";
/// The model used by agents that do not name one.
pub const DEFAULT_MODEL: &str = "gpt-4o";
/// The default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest response read by default (a chat completion is a few KB; this
/// bounds what a broken or hostile server can make a run hold in memory).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// Environment variable holding the API key.
pub const API_KEY_ENV: &str = "RESPAN_API_KEY";
/// Environment variable overriding the base URL.
pub const BASE_URL_ENV: &str = "RESPAN_BASE_URL";
/// Environment variable naming a cassette to record every exchange into
/// ([`GatewayBuilder::record`](crate::GatewayBuilder::record)), read by [`Gateway::from_env`](crate::Gateway::from_env) and its kin.
pub const RECORD_ENV: &str = "RESPAN_RECORD";
/// Environment variable naming a cassette to replay instead of using the network
/// ([`Gateway::replay`](crate::Gateway::replay); no key is needed), read by [`Gateway::from_env`](crate::Gateway::from_env) and its kin.
pub const REPLAY_ENV: &str = "RESPAN_REPLAY";
