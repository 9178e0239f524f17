//! Domain services on top of the store and the bus. HTTP handlers and the
//! WebSocket protocol both call these, so a rule holds on every way in.

pub mod attachments;
pub mod audit;
pub mod bot;
pub mod conversations;
pub mod feedback;
pub mod freeze;
pub mod llm;
pub mod routing;
pub mod safety;
pub mod timers;
pub mod webhook;
