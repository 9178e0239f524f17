//! Where rules and macros are kept: two desk settings (JSON lists), so
//! every node of a desk reads the same ones from the shared store.
//! Edits are read-modify-write under this node's lock; the worker reads
//! the list again every few seconds to see other nodes' edits.

use crate::error::{ApiError, ApiResult};
use std::sync::{Arc, RwLock};
use tokio::sync::Mutex;
use trustdesk_core::Timestamp;
use trustdesk_core::automation::{Macro, Rule};
use trustdesk_store::Store;

const RULES_KEY: &str = "automation.rules";
const MACROS_KEY: &str = "automation.macros";

/// Most rules and most macros a desk keeps.
pub const MAX_RULES: usize = 200;
pub const MAX_MACROS: usize = 200;

/// This node's copy of the rules, and the lock its edits take.
#[derive(Clone, Default)]
pub struct AutomationHandle {
    rules: Arc<RwLock<Arc<[Rule]>>>,
    edits: Arc<Mutex<()>>,
}

impl AutomationHandle {
    /// The rules as last read or saved here, in the order they run.
    pub fn rules(&self) -> Arc<[Rule]> {
        self.rules
            .read()
            .map(|r| r.clone())
            .unwrap_or_else(|_| Arc::from(Vec::new()))
    }

    /// Reads the rules from the store into this node's copy.
    pub async fn reload(&self, store: &dyn Store) -> ApiResult<Arc<[Rule]>> {
        let rules = load_rules(store).await?;
        self.set(rules.clone());
        Ok(rules)
    }

    fn set(&self, rules: Arc<[Rule]>) {
        if let Ok(mut slot) = self.rules.write() {
            *slot = rules;
        }
    }

    /// Changes the stored rules with `edit` (which validates), under the
    /// edit lock, and keeps the result as this node's copy.
    pub async fn edit_rules<T>(
        &self,
        store: &dyn Store,
        at: Timestamp,
        edit: impl FnOnce(&mut Vec<Rule>) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let _one_at_a_time = self.edits.lock().await;
        let mut rules = load_rules(store).await?.to_vec();
        let out = edit(&mut rules)?;
        if rules.len() > MAX_RULES {
            return Err(ApiError::BadRequest(format!(
                "a desk keeps at most {MAX_RULES} rules"
            )));
        }
        sort(&mut rules);
        save(store, RULES_KEY, &rules, at).await?;
        self.set(Arc::from(rules));
        Ok(out)
    }

    /// Changes the stored macros with `edit`, under the edit lock.
    pub async fn edit_macros<T>(
        &self,
        store: &dyn Store,
        at: Timestamp,
        edit: impl FnOnce(&mut Vec<Macro>) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let _one_at_a_time = self.edits.lock().await;
        let mut macros = load_macros(store).await?;
        let out = edit(&mut macros)?;
        if macros.len() > MAX_MACROS {
            return Err(ApiError::BadRequest(format!(
                "a desk keeps at most {MAX_MACROS} macros"
            )));
        }
        macros.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        save(store, MACROS_KEY, &macros, at).await?;
        Ok(out)
    }
}

/// The order rules run in: position, then id (the planner's order too).
fn sort(rules: &mut [Rule]) {
    rules.sort_by(|a, b| a.position.cmp(&b.position).then(a.id.cmp(&b.id)));
}

pub async fn load_rules(store: &dyn Store) -> ApiResult<Arc<[Rule]>> {
    let mut rules: Vec<Rule> = load(store, RULES_KEY).await?;
    sort(&mut rules);
    Ok(Arc::from(rules))
}

pub async fn load_macros(store: &dyn Store) -> ApiResult<Vec<Macro>> {
    load(store, MACROS_KEY).await
}

async fn load<T: serde::de::DeserializeOwned>(store: &dyn Store, key: &str) -> ApiResult<Vec<T>> {
    match store.get_setting(key).await? {
        None => Ok(Vec::new()),
        Some(json) => serde_json::from_str(&json).map_err(|e| {
            tracing::error!(key, error = %e, "stored automation setting unreadable");
            ApiError::Internal(format!("stored {key} unreadable"))
        }),
    }
}

async fn save<T: serde::Serialize>(
    store: &dyn Store,
    key: &str,
    list: &[T],
    at: Timestamp,
) -> ApiResult<()> {
    let json = serde_json::to_string(list).map_err(|e| ApiError::Internal(e.to_string()))?;
    store.put_setting(key, &json, at).await?;
    Ok(())
}
