//! Budgets: band evaluation of each `[[budget]]` ([`eval`]), and [`evaluate`], the one entry
//! point that also runs the red-flag detectors (`crate::detect`) on the same calls. The
//! budgets.toml model and its validation live in `crate::config`.
//!
//! [`evaluate`] is called by `check` on its traces and by `compare` on its after side. It
//! reads nothing and prints nothing.

pub mod eval;

use crate::config::Config;
use crate::detect::Input;
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
    let findings = config.detectors.run(&Input {
        trees,
        catalog,
        links: &links,
        budgets: &config.budgets,
        budget_calls: &calls,
    });
    Evaluation { budgets, findings }
}
