//! Outbound webhooks: signed, retried, SSRF-safe delivery to the exchange
//! (today the freeze request).

pub mod delivery;
