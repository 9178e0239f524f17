//! Service-quality reports: what each conversation's event log says about
//! how it was served (first and next response times, resolution, reopens,
//! the bot's share, CSAT, SLA outcomes), and the arithmetic that turns
//! many conversations into published figures (mean, median, p90 by
//! category, language, channel, agent, team or period).
//!
//! Pure like the rest of the core: the server reads the events and the
//! conversation row, calls [`facts`], and aggregates with
//! [`summarize_by`]; nothing here does IO or reads a clock. Every
//! definition is published in `docs/reports.md`, and the tests check the
//! numbers that document promises.
//!
//! - [`facts`] (fold.rs) folds one log into [`ConversationFacts`].
//! - `Stopwatch` (stopwatch.rs) measures one wait in wall time and in
//!   business time, pausing exactly where the SLA tracker pauses.
//! - [`Summary`] (summary.rs) is the n / mean / median / p90 of a set of
//!   durations; [`CsatSummary`] the same for ratings.
//! - group.rs flattens facts into [`Measurement`]s and groups them by a
//!   [`Dimension`].

mod facts;
mod fold;
mod group;
mod stopwatch;
mod summary;

#[cfg(test)]
mod fold_tests;

pub use facts::{ConversationFacts, Csat, Elapsed, Resolution, Response, SlaOutcome};
pub use fold::facts;
pub use group::{
    Basis, Dimension, GroupKey, Measurement, PeriodUnit, Periods, SlaCount, csat_by,
    group_conversations, sla_attainment_by, summarize_by,
};
pub use summary::{CsatSummary, Summary};
