//! Budgets and red flags: the budgets.toml model and its validation ([`config`], [`units`],
//! [`pattern`]), band evaluation ([`eval`]) and the red-flag detectors ([`detectors`]).
//!
//! [`evaluate`] is the one entry point: `check` calls it on its traces, `compare` on its after
//! side. It reads nothing and prints nothing.

pub mod config;
pub mod detectors;
pub mod eval;
pub mod pattern;

pub use config::{CompareConfig, Config, ConfigError, HookConfig, Metric, load};

use crate::ops::tree::ChildLinks;
use crate::ops::{CallTree, Catalog};
use crate::outcome::{BudgetResult, Finding};

/// What the budgets and detectors say about a set of traces.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// One row per budget, in file order.
    pub budgets: Vec<BudgetResult>,
    /// Red flags, most severe and most costly first.
    pub findings: Vec<Finding>,
}

/// Evaluates every budget and runs every enabled detector on the combined calls of `trees`.
pub fn evaluate(config: &Config, trees: &[CallTree], catalog: &Catalog) -> Evaluation {
    // Children of every span, shared by self-time budgets and detectors (4 bytes a span).
    let links: Vec<ChildLinks> = trees.iter().map(CallTree::child_links).collect();
    let calls: Vec<eval::BudgetCalls> = config
        .budgets
        .iter()
        .map(|b| eval::budget_calls(b, trees, catalog))
        .collect();
    let budgets = config
        .budgets
        .iter()
        .zip(&calls)
        .map(|(b, c)| eval::evaluate_budget(b, c, trees, catalog, &links, config.require_match))
        .collect();
    let findings = detectors::detect(config, trees, catalog, &links, &calls);
    Evaluation { budgets, findings }
}

/// The budgets file read when none is named.
pub const DEFAULT_PATH: &str = "budgets.toml";
