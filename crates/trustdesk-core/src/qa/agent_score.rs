//! QA figures per agent over a set of scored reviews.
//!
//! Every review counts once, whatever its card: the mean is of the
//! reviews' percentages (not re-weighted by how many categories each
//! rated), because the question a lead asks is "how did this agent's
//! reviewed conversations go", one conversation at a time.

use super::review::ReviewScore;
use crate::ids::AgentId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One agent's QA figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentQa {
    pub agent: AgentId,
    /// How many reviews (at least 1).
    pub reviews: u32,
    /// The mean of the reviews' percentages, 0–100, unrounded.
    pub mean_percent: f64,
    /// Passed reviews / reviews × 100, 0–100.
    pub pass_percent: f64,
    /// Reviews with at least one critical failure (not the number of
    /// failed categories: one review that broke two rules counts once).
    pub critical_fails: u32,
}

/// The figures of every agent with at least one review, in agent-id order
/// (a stable order; the console sorts by whatever column it shows).
pub fn agent_scores(reviews: &[(AgentId, ReviewScore)]) -> Vec<AgentQa> {
    #[derive(Default)]
    struct Sum {
        percents: Vec<f64>,
        passed: u32,
        critical: u32,
    }
    let mut by_agent: BTreeMap<AgentId, Sum> = BTreeMap::new();
    for (agent, score) in reviews {
        let sum = by_agent.entry(*agent).or_default();
        sum.percents.push(score.percent);
        sum.passed += u32::from(score.passed);
        sum.critical += u32::from(!score.critical_failed.is_empty());
    }
    by_agent
        .into_iter()
        .map(|(agent, mut s)| {
            // Floating-point sums depend on their order: add in sorted
            // order so the mean is the same whatever order reviews came in.
            s.percents.sort_by(f64::total_cmp);
            let n = u32::try_from(s.percents.len()).unwrap_or(u32::MAX);
            let total: f64 = s.percents.iter().sum();
            AgentQa {
                agent,
                reviews: n,
                mean_percent: (total / f64::from(n)).clamp(0.0, 100.0),
                pass_percent: f64::from(s.passed) * 100.0 / f64::from(n),
                critical_fails: s.critical,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn agent(n: u128) -> AgentId {
        AgentId(Uuid::from_u128(n))
    }

    fn review(percent: f64, passed: bool, critical: &[&str]) -> ReviewScore {
        ReviewScore {
            percent,
            passed,
            critical_failed: critical.iter().map(|k| k.to_string()).collect(),
        }
    }

    #[test]
    fn figures_per_agent_in_agent_order() {
        let (a, b) = (agent(1), agent(2));
        let reviews = vec![
            (b, review(90.0, true, &[])),
            (a, review(100.0, true, &[])),
            (b, review(60.0, false, &[])),
            (
                b,
                review(
                    95.0,
                    false,
                    &["never_asked_for_secret", "identity_verified"],
                ),
            ),
            (a, review(70.0, false, &[])),
        ];
        let got = agent_scores(&reviews);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].agent, a);
        assert_eq!(got[0].reviews, 2);
        assert_eq!(got[0].mean_percent, 85.0);
        assert_eq!(got[0].pass_percent, 50.0);
        assert_eq!(got[0].critical_fails, 0);
        assert_eq!(got[1].agent, b);
        assert_eq!(got[1].reviews, 3);
        assert!((got[1].mean_percent - 245.0 / 3.0).abs() < 1e-9);
        assert!((got[1].pass_percent - 100.0 / 3.0).abs() < 1e-9);
        // two failed categories in one review: one critical fail
        assert_eq!(got[1].critical_fails, 1);
    }

    #[test]
    fn input_order_does_not_matter_and_nothing_gives_nothing() {
        let mut reviews = vec![
            (agent(3), review(40.0, false, &[])),
            (agent(1), review(80.0, true, &[])),
            (agent(3), review(100.0, true, &[])),
        ];
        let forward = agent_scores(&reviews);
        reviews.reverse();
        assert_eq!(agent_scores(&reviews), forward);
        assert!(agent_scores(&[]).is_empty());
    }

    #[test]
    fn json_names_the_fields() {
        let got = agent_scores(&[(agent(1), review(50.0, false, &["tone"]))]);
        let v = serde_json::to_value(&got[0]).unwrap();
        assert_eq!(v["reviews"], 1);
        assert_eq!(v["mean_percent"], 50.0);
        assert_eq!(v["pass_percent"], 0.0);
        assert_eq!(v["critical_fails"], 1);
        assert_eq!(serde_json::from_value::<AgentQa>(v).unwrap(), got[0]);
    }
}
