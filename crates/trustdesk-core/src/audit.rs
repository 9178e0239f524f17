//! The append-only, hash-chained audit log: each entry's hash covers its
//! own fields and the previous entry's hash, so editing, removing or
//! reordering any entry breaks every hash after it.

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Every kind of sensitive action the audit log records. The stored name
/// (`as_str`) is what `trustdesk audit verify` and exports show; it never
/// changes for an existing action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// An agent finished the two-step login.
    Login,
    /// An agent logged out.
    Logout,
    /// An agent confirmed a new second factor.
    TwoFactorEnrolled,
    /// A wrong second factor was given for an agent.
    TwoFactorFailed,
    /// An admin removed an agent's second factor.
    TwoFactorReset,
    /// An agent changed their own password.
    PasswordChanged,
    /// An admin set a new password for an agent.
    PasswordReset,
    /// Someone asked for a password reset for a known account.
    PasswordResetRequested,
    /// An admin changed an agent's role.
    RoleChanged,
    /// An admin (re)activated an agent.
    AgentActivated,
    /// An admin deactivated an agent.
    AgentDeactivated,
    /// An agent created an API token.
    ApiTokenCreated,
    /// An API token was revoked.
    ApiTokenRevoked,
    /// The test clock was moved forward.
    ClockAdvanced,
    /// A customer set their anti-phishing code.
    AntiPhishingCodeSet,
    /// A customer asked for an emergency freeze.
    FreezeRequested,
    /// An agent sent past a guard warning.
    GuardOverride,
    /// A knowledge-base article was published or withdrawn.
    KbPublished,
    /// A knowledge-base article was created or edited.
    KbArticleSaved,
    /// An official channel was registered.
    RegistryAdded,
    /// An official channel was removed.
    RegistryRemoved,
    /// An agent's routing profile changed.
    RoutingProfileSet,
    /// A business calendar was created or changed.
    SlaCalendarSet,
    /// A business calendar was removed.
    SlaCalendarDeleted,
    /// The SLA policy changed.
    SlaPolicySet,
    /// A team was created.
    TeamCreated,
    /// A webhook endpoint was registered.
    WebhookEndpointCreated,
    /// A webhook endpoint's URL, description or subscriptions changed.
    WebhookEndpointUpdated,
    /// A webhook endpoint was removed.
    WebhookEndpointDeleted,
    /// A webhook endpoint got a new secret.
    WebhookSecretRotated,
    /// A disabled webhook endpoint was enabled again.
    WebhookEndpointEnabled,
    /// A webhook delivery was sent again.
    WebhookDeliveryReplayed,
    /// An admin created or changed an automation rule.
    AutomationRuleSaved,
    /// An admin deleted an automation rule.
    AutomationRuleDeleted,
    /// An automation rule acted on a conversation.
    AutomationFired,
    /// An admin created or changed a macro.
    MacroSaved,
    /// An admin deleted a macro.
    MacroDeleted,
}

impl AuditAction {
    pub const ALL: &[AuditAction] = &[
        AuditAction::Login,
        AuditAction::Logout,
        AuditAction::TwoFactorEnrolled,
        AuditAction::TwoFactorFailed,
        AuditAction::TwoFactorReset,
        AuditAction::PasswordChanged,
        AuditAction::PasswordReset,
        AuditAction::PasswordResetRequested,
        AuditAction::RoleChanged,
        AuditAction::AgentActivated,
        AuditAction::AgentDeactivated,
        AuditAction::ApiTokenCreated,
        AuditAction::ApiTokenRevoked,
        AuditAction::ClockAdvanced,
        AuditAction::AntiPhishingCodeSet,
        AuditAction::FreezeRequested,
        AuditAction::GuardOverride,
        AuditAction::KbPublished,
        AuditAction::KbArticleSaved,
        AuditAction::RegistryAdded,
        AuditAction::RegistryRemoved,
        AuditAction::RoutingProfileSet,
        AuditAction::SlaCalendarSet,
        AuditAction::SlaCalendarDeleted,
        AuditAction::SlaPolicySet,
        AuditAction::TeamCreated,
        AuditAction::WebhookEndpointCreated,
        AuditAction::WebhookEndpointUpdated,
        AuditAction::WebhookEndpointDeleted,
        AuditAction::WebhookSecretRotated,
        AuditAction::WebhookEndpointEnabled,
        AuditAction::WebhookDeliveryReplayed,
        AuditAction::AutomationRuleSaved,
        AuditAction::AutomationRuleDeleted,
        AuditAction::AutomationFired,
        AuditAction::MacroSaved,
        AuditAction::MacroDeleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Login => "agent.login",
            AuditAction::Logout => "agent.logout",
            AuditAction::TwoFactorEnrolled => "agent.2fa.enrolled",
            AuditAction::TwoFactorFailed => "agent.2fa.failed",
            AuditAction::TwoFactorReset => "agent.2fa.reset",
            AuditAction::PasswordChanged => "agent.password_changed",
            AuditAction::PasswordReset => "agent.password_reset",
            AuditAction::PasswordResetRequested => "agent.password_reset_requested",
            AuditAction::RoleChanged => "agent.role_changed",
            AuditAction::AgentActivated => "agent.activated",
            AuditAction::AgentDeactivated => "agent.deactivated",
            AuditAction::ApiTokenCreated => "api_token.created",
            AuditAction::ApiTokenRevoked => "api_token.revoked",
            AuditAction::ClockAdvanced => "clock.advance",
            AuditAction::AntiPhishingCodeSet => "customer.anti_phishing_code.set",
            AuditAction::FreezeRequested => "freeze.request",
            AuditAction::GuardOverride => "guard.override",
            AuditAction::KbPublished => "kb.publish",
            AuditAction::KbArticleSaved => "kb.upsert",
            AuditAction::RegistryAdded => "registry.add",
            AuditAction::RegistryRemoved => "registry.remove",
            AuditAction::RoutingProfileSet => "routing.profile",
            AuditAction::SlaCalendarSet => "sla.calendar",
            AuditAction::SlaCalendarDeleted => "sla.calendar.delete",
            AuditAction::SlaPolicySet => "sla.policy",
            AuditAction::TeamCreated => "team.create",
            AuditAction::WebhookEndpointCreated => "webhook.create",
            AuditAction::WebhookEndpointUpdated => "webhook.update",
            AuditAction::WebhookEndpointDeleted => "webhook.delete",
            AuditAction::WebhookSecretRotated => "webhook.rotate",
            AuditAction::WebhookEndpointEnabled => "webhook.enable",
            AuditAction::WebhookDeliveryReplayed => "webhook.replay",
            AuditAction::AutomationRuleSaved => "automation.rule.save",
            AuditAction::AutomationRuleDeleted => "automation.rule.delete",
            AuditAction::AutomationFired => "automation.fired",
            AuditAction::MacroSaved => "macro.save",
            AuditAction::MacroDeleted => "macro.delete",
        }
    }
}

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// 1, 2, 3, … without gaps.
    pub seq: i64,
    pub at: Timestamp,
    /// Who did it, e.g. `agent:<id>`, `customer:<id>`, `system`.
    pub actor: String,
    /// What, e.g. `agent.login`, `registry.add`, `guard.override`.
    pub action: String,
    /// What it was done to, e.g. a conversation or channel id.
    pub subject: String,
    /// Details as JSON text.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of an entry given the previous hash. Fields are length-prefixed
/// so no two different entries serialise alike.
pub fn entry_hash(
    prev_hash: &str,
    seq: i64,
    at: Timestamp,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(seq.to_be_bytes());
    h.update(at.0.to_be_bytes());
    for field in [actor, action, subject, detail] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a chain stops being trustworthy.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {seq}: expected seq {expected} (an entry was removed or reordered)")]
    Gap { seq: i64, expected: i64 },
    #[error("entry {seq}: does not follow the previous entry's hash")]
    Link { seq: i64 },
    #[error("entry {seq}: its content does not match its hash (edited)")]
    Content { seq: i64 },
}

/// Checks a whole chain, in seq order.
pub fn verify(entries: &[AuditEntry]) -> Result<(), ChainBreak> {
    let mut prev = GENESIS.to_owned();
    for (i, e) in entries.iter().enumerate() {
        let expected = i as i64 + 1;
        if e.seq != expected {
            return Err(ChainBreak::Gap {
                seq: e.seq,
                expected,
            });
        }
        if e.prev_hash != prev {
            return Err(ChainBreak::Link { seq: e.seq });
        }
        if entry_hash(
            &e.prev_hash,
            e.seq,
            e.at,
            &e.actor,
            &e.action,
            &e.subject,
            &e.detail,
        ) != e.hash
        {
            return Err(ChainBreak::Content { seq: e.seq });
        }
        prev = e.hash.clone();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let hash = entry_hash(
                    &prev,
                    seq,
                    Timestamp(seq),
                    "agent:a",
                    "agent.login",
                    "",
                    "{}",
                );
                let e = AuditEntry {
                    seq,
                    at: Timestamp(seq),
                    actor: "agent:a".into(),
                    action: "agent.login".into(),
                    subject: String::new(),
                    detail: "{}".into(),
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies_and_any_change_breaks_it() {
        let good = chain(5);
        assert_eq!(verify(&good), Ok(()));
        let mut edited = good.clone();
        edited[2].action = "registry.add".into();
        assert_eq!(verify(&edited), Err(ChainBreak::Content { seq: 3 }));
        let mut removed = good.clone();
        removed.remove(1);
        assert_eq!(
            verify(&removed),
            Err(ChainBreak::Gap {
                seq: 3,
                expected: 2
            })
        );
        let mut rehashed = good.clone();
        rehashed[1].detail = "{\"x\":1}".into();
        rehashed[1].hash = entry_hash(
            &rehashed[1].prev_hash,
            2,
            Timestamp(2),
            "agent:a",
            "agent.login",
            "",
            "{\"x\":1}",
        );
        assert_eq!(
            verify(&rehashed),
            Err(ChainBreak::Link { seq: 3 }),
            "re-hashing one entry breaks the next link"
        );
    }

    #[test]
    fn every_audit_action_has_its_own_dotted_name() {
        let mut names: Vec<&str> = super::AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert!(names.iter().all(|n| {
            n.contains('.')
                && n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_')
        }));
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count, "two actions share a name");
    }
}
