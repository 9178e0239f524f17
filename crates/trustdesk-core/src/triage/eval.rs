//! Held-out evaluation: accuracy, per-category precision/recall/F1,
//! confusion matrix, per-language accuracy, urgent precision/recall,
//! language-detection accuracy.

use super::{Classifier, Example, detect_language};
use crate::model::{Category, Language};
use std::fmt;

/// Figures of one model on one set of examples.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub n: usize,
    pub correct: usize,
    /// `confusion[truth][predicted]`, in `Category::ALL` order.
    pub confusion: [[usize; 6]; 6],
    /// `(n, correct)` per language, in `Language::ALL` order.
    pub per_language: [(usize, usize); 3],
    pub urgent_tp: usize,
    pub urgent_fp: usize,
    pub urgent_fn: usize,
    pub priority_correct: usize,
    pub language_correct: usize,
}

fn ci(c: Category) -> usize {
    Category::ALL.iter().position(|&x| x == c).unwrap_or(0)
}

fn li(l: Language) -> usize {
    Language::ALL.iter().position(|&x| x == l).unwrap_or(0)
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

impl Report {
    pub fn accuracy(&self) -> f64 {
        ratio(self.correct, self.n)
    }

    pub fn language_accuracy(&self, l: Language) -> f64 {
        let (n, c) = self.per_language[li(l)];
        ratio(c, n)
    }

    /// `(precision, recall, f1)` of one category.
    pub fn prf(&self, c: Category) -> (f64, f64, f64) {
        let i = ci(c);
        let tp = self.confusion[i][i];
        let predicted: usize = (0..6).map(|t| self.confusion[t][i]).sum();
        let actual: usize = self.confusion[i].iter().sum();
        let p = ratio(tp, predicted);
        let r = ratio(tp, actual);
        let f = if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        };
        (p, r, f)
    }

    pub fn macro_f1(&self) -> f64 {
        Category::ALL.iter().map(|&c| self.prf(c).2).sum::<f64>() / 6.0
    }

    pub fn urgent_precision(&self) -> f64 {
        ratio(self.urgent_tp, self.urgent_tp + self.urgent_fp)
    }

    pub fn urgent_recall(&self) -> f64 {
        ratio(self.urgent_tp, self.urgent_tp + self.urgent_fn)
    }

    pub fn priority_accuracy(&self) -> f64 {
        ratio(self.priority_correct, self.n)
    }

    pub fn language_detection_accuracy(&self) -> f64 {
        ratio(self.language_correct, self.n)
    }
}

/// Evaluates `model` on `examples`.
pub fn evaluate(model: &Classifier, examples: &[Example]) -> Report {
    let mut r = Report::default();
    for e in examples {
        let t = model.classify(&e.text);
        r.n += 1;
        r.confusion[ci(e.category)][ci(t.category)] += 1;
        let l = &mut r.per_language[li(e.language)];
        l.0 += 1;
        if t.category == e.category {
            r.correct += 1;
            l.1 += 1;
        }
        match (e.urgent, t.urgent) {
            (true, true) => r.urgent_tp += 1,
            (false, true) => r.urgent_fp += 1,
            (true, false) => r.urgent_fn += 1,
            (false, false) => {}
        }
        if t.priority == e.priority {
            r.priority_correct += 1;
        }
        if detect_language(&e.text) == e.language {
            r.language_correct += 1;
        }
    }
    r
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "examples {}  category accuracy {:.3}  macro-F1 {:.3}",
            self.n,
            self.accuracy(),
            self.macro_f1()
        )?;
        for l in Language::ALL {
            let (n, _) = self.per_language[li(*l)];
            writeln!(
                f,
                "  {:<6} n={:<4} accuracy {:.3}",
                l.as_str(),
                n,
                self.language_accuracy(*l)
            )?;
        }
        writeln!(
            f,
            "  {:<11} {:>9} {:>9} {:>9}",
            "category", "precision", "recall", "f1"
        )?;
        for c in Category::ALL {
            let (p, rc, f1) = self.prf(*c);
            writeln!(f, "  {:<11} {p:>9.3} {rc:>9.3} {f1:>9.3}", c.as_str())?;
        }
        write!(
            f,
            "  confusion (rows = truth, columns = predicted)\n  {:<11}",
            ""
        )?;
        for c in Category::ALL {
            write!(f, " {:>5}", &c.as_str()[..5])?;
        }
        writeln!(f)?;
        for (i, c) in Category::ALL.iter().enumerate() {
            write!(f, "  {:<11}", c.as_str())?;
            for v in self.confusion[i] {
                write!(f, " {v:>5}")?;
            }
            writeln!(f)?;
        }
        writeln!(
            f,
            "  urgent precision {:.3} recall {:.3} (tp {} fp {} fn {})",
            self.urgent_precision(),
            self.urgent_recall(),
            self.urgent_tp,
            self.urgent_fp,
            self.urgent_fn
        )?;
        writeln!(f, "  priority accuracy {:.3}", self.priority_accuracy())?;
        write!(
            f,
            "  language detection accuracy {:.3}",
            self.language_detection_accuracy()
        )
    }
}
