//! Triage: category, language, priority and the urgent flag of a customer
//! message, offline and deterministic.
//!
//! - Category: multinomial logistic regression on hashed features (CJK
//!   character 1–2-grams, Latin words, word bigrams and in-word character
//!   2–5-grams, class-balanced), trained by [`Classifier::train`] from the labelled dataset in
//!   `data/triage/examples.tsv`, embedded with `include_str!`. The built-in
//!   model is trained once, lazily, at first use (see docs/triage.md for the
//!   training time and the figures).
//! - Priority: a second logistic regression over the same features
//!   (low/normal/high/urgent).
//! - Urgent: the learned urgent probability or a high-precision rule layer
//!   for emergencies in zh and en ([`rules`]).
//! - Language: script and character statistics ([`detect_language`]).

pub mod eval;
pub(crate) mod features;
mod lang;
mod linear;
mod rules;

pub use features::{FeatureSet, stable_hash};
pub use lang::detect_language;

use crate::model::{Category, Language, Priority};
use linear::{Linear, LrParams, Sample, argmax};
use std::sync::OnceLock;

/// The result of triaging one message.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Triage {
    pub category: Category,
    pub language: Language,
    pub priority: Priority,
    pub urgent: bool,
    /// Probability the category model gives the chosen category, in `0..=1`.
    /// An urgent message is always `security`; its confidence is then the
    /// model's probability of `security`, which can be low when the
    /// emergency rules alone decided.
    pub confidence: f32,
}

/// One labelled example of the dataset.
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    pub text: String,
    pub category: Category,
    pub language: Language,
    pub priority: Priority,
    pub urgent: bool,
    /// Split key: the template a generated example came from, or the text
    /// itself for a hand-written one.
    pub group: String,
}

impl Example {
    /// The fixed held-out split: a fifth of the groups, by a stable hash.
    pub fn is_held_out(&self) -> bool {
        stable_hash(&self.group).is_multiple_of(5)
    }

    /// Cross-validation fold (0..5) of a training example, independent of
    /// the held-out split; used to tune hyper-parameters without looking at
    /// the held-out set.
    pub fn fold(&self) -> u64 {
        (stable_hash(&self.group) / 5) % 5
    }
}

/// The dataset shipped with the crate.
pub const DATASET_TSV: &str = include_str!("../../data/triage/examples.tsv");

/// Parses a dataset in the TSV format of `examples.tsv`
/// (`text, category, language, priority, urgent[, group]`; `#` comments).
/// Malformed lines are skipped.
pub fn parse_examples(tsv: &str) -> Vec<Example> {
    tsv.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split('\t');
            let text = f.next()?.to_owned();
            let category = f.next()?.parse().ok()?;
            let language = f.next()?.parse().ok()?;
            let priority = f.next()?.parse().ok()?;
            let urgent = f.next()? == "true";
            let group = f.next().map_or_else(|| text.clone(), str::to_owned);
            Some(Example {
                text,
                category,
                language,
                priority,
                urgent,
                group,
            })
        })
        .collect()
}

/// All examples of the built-in dataset.
pub fn builtin_examples() -> &'static [Example] {
    static EXAMPLES: OnceLock<Vec<Example>> = OnceLock::new();
    EXAMPLES.get_or_init(|| parse_examples(DATASET_TSV))
}

/// Which learner to fit (the shipped one and the baseline it was compared
/// with).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Learner {
    LogisticRegression,
    NaiveBayes,
}

/// Model configuration. [`Config::default`] is what ships.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub learner: Learner,
    pub features: FeatureSet,
    /// log2 of the hashed feature space.
    pub bits: u32,
    pub epochs: usize,
    /// Initial SGD step (decays linearly to a tenth).
    pub lr: f32,
    /// L2 weight decay.
    pub l2: f32,
    /// Class-balanced example weights for the category model.
    pub balanced: bool,
    /// Urgent when the learned probability of `urgent` priority reaches this.
    pub urgent_threshold: f32,
    /// Whether the emergency rule layer is applied.
    pub rules: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            learner: Learner::LogisticRegression,
            features: FeatureSet::FULL,
            bits: 18,
            epochs: 12,
            lr: 2.0,
            l2: 1e-3,
            balanced: true,
            urgent_threshold: 0.5,
            rules: true,
        }
    }
}

/// A trained triage model.
#[derive(Clone)]
pub struct Classifier {
    config: Config,
    category: Linear,
    priority: Linear,
}

impl std::fmt::Debug for Classifier {
    // The weights are megabytes of floats: show the configuration only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn category_index(c: Category) -> usize {
    Category::ALL.iter().position(|&x| x == c).unwrap_or(0)
}

fn priority_index(p: Priority) -> usize {
    Priority::ALL.iter().position(|&x| x == p).unwrap_or(0)
}

/// Normalised text as the rules see it (same folding as the features).
fn normalize(text: &str) -> String {
    text.chars()
        .take(features::MAX_CHARS)
        .map(features::fold_char)
        .collect()
}

impl Classifier {
    /// The model trained on the whole built-in dataset (once, at first use).
    pub fn builtin() -> &'static Classifier {
        static MODEL: OnceLock<Classifier> = OnceLock::new();
        MODEL.get_or_init(|| Classifier::train(builtin_examples()))
    }

    /// Trains the shipped configuration on `examples`.
    pub fn train(examples: &[Example]) -> Classifier {
        Classifier::train_with(examples, Config::default())
    }

    /// Trains a given configuration (used by the evaluation to compare
    /// alternatives).
    pub fn train_with(examples: &[Example], config: Config) -> Classifier {
        let dim = 1usize << config.bits;
        let mut feats: Vec<Vec<(u32, f32)>> = Vec::with_capacity(examples.len());
        for e in examples {
            let mut f = Vec::new();
            features::extract(&e.text, config.bits, config.features, &mut f);
            feats.push(f);
        }
        // Logistic weights of features no example has stay zero: train over
        // the ones seen only (naive Bayes weighs unseen ones too).
        let present = match config.learner {
            Learner::LogisticRegression => Some(linear::renumber(&mut feats, dim)),
            Learner::NaiveBayes => None,
        };
        let cat: Vec<Sample<'_>> = examples
            .iter()
            .zip(&feats)
            .map(|(e, f)| Sample {
                features: f,
                label: category_index(e.category),
            })
            .collect();
        let pri: Vec<Sample<'_>> = examples
            .iter()
            .zip(&feats)
            .map(|(e, f)| Sample {
                features: f,
                label: if e.urgent {
                    priority_index(Priority::Urgent)
                } else {
                    priority_index(e.priority)
                },
            })
            .collect();
        let params = LrParams {
            epochs: config.epochs,
            lr: config.lr,
            l2: config.l2,
            ..LrParams::default()
        };
        let (category, priority) = match present {
            Some(present) => (
                Linear::train_logistic(
                    present.len(),
                    Category::ALL.len(),
                    &cat,
                    LrParams {
                        balanced: config.balanced,
                        ..params
                    },
                )
                .over_features(present.clone()),
                Linear::train_logistic(present.len(), Priority::ALL.len(), &pri, params)
                    .over_features(present),
            ),
            None => (
                Linear::train_naive_bayes(dim, Category::ALL.len(), &cat, 0.05),
                Linear::train_naive_bayes(dim, Priority::ALL.len(), &pri, 0.05),
            ),
        };
        Classifier {
            config,
            category,
            priority,
        }
    }

    /// Triage of one message. Never panics; empty input yields a
    /// low-confidence result.
    pub fn classify(&self, text: &str) -> Triage {
        let mut f = Vec::with_capacity(256);
        features::extract(text, self.config.bits, self.config.features, &mut f);
        let language = detect_language(text);

        let mut cp = [0.0f32; 8];
        let k = self.category.classes();
        match self.config.learner {
            Learner::LogisticRegression => self.category.probabilities(&f, &mut cp),
            Learner::NaiveBayes => {
                self.category.scores(&f, &mut cp);
                linear::softmax(&mut cp[..k]);
            }
        }
        let mut ci = argmax(&cp[..k]);

        let mut pp = [0.0f32; 8];
        let kp = self.priority.classes();
        self.priority.scores(&f, &mut pp);
        linear::softmax(&mut pp[..kp]);
        let urgent_p = pp[priority_index(Priority::Urgent)];
        let folded = normalize(text);
        let rule = self.config.rules && rules::urgent_rule(&folded);
        let learned = urgent_p >= self.config.urgent_threshold
            && !(self.config.rules && rules::calm(&folded));
        let urgent = !f.is_empty() && (rule || learned);
        if urgent {
            // Every emergency (hacked account, unauthorized withdrawal, scam
            // in progress, freeze request, leaked seed) is a security matter:
            // it goes to the security team whatever words it used.
            ci = category_index(Category::Security);
        } else if self.config.rules && rules::authority_freeze(&folded) {
            // A freeze ordered by the police, a court or a prosecutor is a
            // compliance matter (the labelling convention), whatever the
            // security words around it ("letter from police about a freeze").
            ci = category_index(Category::Compliance);
        }
        let category = Category::ALL[ci.min(Category::ALL.len() - 1)];
        let confidence = cp[ci].clamp(0.0, 1.0);
        let confidence = if confidence.is_finite() {
            confidence
        } else {
            0.0
        };

        let priority = if urgent {
            Priority::Urgent
        } else {
            // Best non-urgent priority; a security matter is at least high.
            let pi = argmax(&pp[..priority_index(Priority::Urgent)]);
            let p = Priority::ALL[pi];
            if category == Category::Security {
                p.max(Priority::High)
            } else {
                p
            }
        };
        Triage {
            category,
            language,
            priority,
            urgent,
            confidence,
        }
    }
}

/// Triage with the built-in model.
pub fn classify(text: &str) -> Triage {
    Classifier::builtin().classify(text)
}
