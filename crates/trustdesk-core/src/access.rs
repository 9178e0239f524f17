//! Which conversations an agent may see: the one rule every route, every
//! WebSocket operation and the inbox query share.
//!
//! - every role sees the conversations assigned to them;
//! - an **agent** also sees their team's conversations (assigned to a
//!   teammate or waiting in the team queue) and the unassigned ones in the
//!   general queue (no team);
//! - a **supervisor** sees every conversation of their team and the whole
//!   general queue (no team), assigned or not;
//! - an **admin** sees everything.
//!
//! Everything else is refused with the same answer as a missing id.

use crate::{Agent, AgentId, Conversation, Role, TeamId};

/// The part of an agent that decides what they see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgentScope {
    pub agent_id: AgentId,
    pub team_id: Option<TeamId>,
    pub role: Role,
}

impl AgentScope {
    pub fn of(agent: &Agent) -> Self {
        Self {
            agent_id: agent.id,
            team_id: agent.team_id,
            role: agent.role,
        }
    }

    /// Whether this agent may see (and so act on) the conversation.
    pub fn may_see(&self, c: &Conversation) -> bool {
        if self.role == Role::Admin || c.assignee_id == Some(self.agent_id) {
            return true;
        }
        let same_team = self.team_id.is_some() && c.team_id == self.team_id;
        match self.role {
            Role::Admin => true,
            Role::Supervisor => same_team || c.team_id.is_none(),
            Role::Agent => same_team || (c.team_id.is_none() && c.assignee_id.is_none()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Channel, ConversationId, ConversationStatus, CustomerId, Priority, Timestamp};

    fn conversation(assignee: Option<AgentId>, team: Option<TeamId>) -> Conversation {
        Conversation {
            id: ConversationId::new(),
            customer_id: CustomerId::new(),
            channel: Channel::Web,
            subject: None,
            category: None,
            language: None,
            priority: Priority::Normal,
            urgent: false,
            status: ConversationStatus::Open,
            assignee_id: assignee,
            team_id: team,
            snoozed_until: None,
            last_seq: 0,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
            labels: Vec::new(),
        }
    }

    #[test]
    fn the_visibility_table() {
        let me = AgentId::new();
        let other = AgentId::new();
        let mine = TeamId::new();
        let theirs = TeamId::new();
        let scope = |role| AgentScope {
            agent_id: me,
            team_id: Some(mine),
            role,
        };
        // (assignee, team) → (agent, supervisor, admin)
        let table = [
            ((Some(me), Some(theirs)), (true, true, true)),
            ((None, None), (true, true, true)),
            ((Some(other), None), (false, true, true)),
            ((None, Some(mine)), (true, true, true)),
            ((Some(other), Some(mine)), (true, true, true)),
            ((None, Some(theirs)), (false, false, true)),
            ((Some(other), Some(theirs)), (false, false, true)),
        ];
        for ((assignee, team), (a, s, ad)) in table {
            let c = conversation(assignee, team);
            assert_eq!(
                scope(Role::Agent).may_see(&c),
                a,
                "agent {assignee:?} {team:?}"
            );
            assert_eq!(scope(Role::Supervisor).may_see(&c), s, "supervisor");
            assert_eq!(scope(Role::Admin).may_see(&c), ad, "admin");
        }
        let loner = AgentScope {
            agent_id: me,
            team_id: None,
            role: Role::Agent,
        };
        assert!(
            !loner.may_see(&conversation(None, Some(mine))),
            "no team is not every team"
        );
    }
}
