//! Why a rule or a macro was refused. The texts are written for the admin
//! who built it: they say which part is wrong and what is allowed, and are
//! safe to send back to the client as they are.

/// A single action that is not acceptable on its own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error("a note must not be empty")]
    EmptyNote,
    #[error("a note is at most {max} characters")]
    NoteTooLong { max: usize },
    #[error("a note may not contain control characters other than line breaks and tabs")]
    NoteBadCharacters,
    #[error("snooze minutes must be between 1 and {max}")]
    SnoozeMinutes { max: u32 },
    #[error(
        "webhook event {0:?} must be 1–64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter"
    )]
    BadWebhookEvent(String),
    /// A rule may not send one of the built-in webhook event types: an
    /// integration that acts on `freeze.requested` must only ever see the
    /// real thing.
    #[error("webhook event {0:?} is a built-in event type; choose another name")]
    BuiltInWebhookEvent(String),
    #[error("macros cannot send webhooks (only automation rules can)")]
    WebhookInMacro,
}

/// Why a rule or a macro was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("the name must not be empty")]
    EmptyName,
    #[error("the name is at most {max} characters")]
    NameTooLong { max: usize },
    #[error("the name may not contain control characters")]
    NameBadCharacters,
    #[error("at least one action is needed")]
    NoActions,
    #[error("at most {max} actions are allowed")]
    TooManyActions { max: usize },
    #[error("action {index}: {error}")]
    Action { index: usize, error: ActionError },
    /// Two actions of the same rule or macro set the same thing (the
    /// priority twice, a label added and removed, resolve and snooze): one
    /// of them is a mistake, and which one the admin meant is not ours to
    /// guess. Indexes count from 0.
    #[error("actions {first} and {second} {what}; keep one")]
    ConflictingActions {
        first: usize,
        second: usize,
        what: String,
    },
    #[error("conditions nest at most {max} levels deep")]
    ConditionTooDeep { max: usize },
    #[error("at most {max} conditions are allowed")]
    TooManyConditions { max: usize },
    /// `any` of nothing is never true: the rule could never fire.
    #[error("an \"any\" group needs at least one condition")]
    EmptyAny,
    /// `category in []` is never true.
    #[error("a {leaf} condition needs at least one value")]
    EmptySet { leaf: &'static str },
    #[error("message_contains needs a text of 1–{max} characters (not only spaces)")]
    BadMessageText { max: usize },
    #[error("idle minutes must be between 1 and {max}")]
    IdleMinutes { max: u32 },
}
