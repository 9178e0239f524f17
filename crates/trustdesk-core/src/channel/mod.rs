//! The channel rules that need no IO: who sent a mail (a person or a
//! machine), which conversation a reply belongs to, our reply-address and
//! Message-ID tokens, and where the quoted history of a reply begins.

pub mod email;
pub mod quote;
