//! Linear models over hashed sparse features: multinomial logistic
//! regression (the one shipped) and multinomial naive Bayes (kept for the
//! comparison in docs/triage.md).

/// A sparse example: sorted `(index, value)` features and a class index.
pub struct Sample<'a> {
    pub features: &'a [(u32, f32)],
    pub label: usize,
}

/// Renumbers the samples' features to rows of the features some sample
/// has (dropping indices `>= dim`) and returns those features, sorted:
/// `present[row]` is the original index. A logistic model trained over the
/// rows scores exactly as one over all `dim` hashed features, whose other
/// rows would stay zero, and neither training nor the model holds the
/// dense table (10 MB of zeros at 2^18 features, resident in every server).
pub fn renumber(features: &mut [Vec<(u32, f32)>], dim: usize) -> Vec<u32> {
    let mut present: Vec<u32> = features
        .iter()
        .flatten()
        .map(|&(i, _)| i)
        .filter(|&i| (i as usize) < dim)
        .collect();
    present.sort_unstable();
    present.dedup();
    present.shrink_to_fit();
    for f in features.iter_mut() {
        f.retain_mut(|(i, _)| match present.binary_search(i) {
            Ok(row) => {
                *i = row as u32;
                true
            }
            Err(_) => false,
        });
    }
    present
}

/// Weights laid out row-major (`w[row * k + c]`) so the classes of one
/// feature share a cache line, plus one bias per class.
#[derive(Clone, Debug)]
pub struct Linear {
    k: usize,
    w: Vec<f32>,
    rows: Rows,
    b: Vec<f32>,
}

/// Which row of `w` holds a feature's weights.
#[derive(Clone, Debug)]
enum Rows {
    /// Every hashed feature has a row: row = feature index.
    Dense,
    /// Only these features (sorted) have rows, in this order; the others
    /// weigh nothing (see [`renumber`]).
    Sparse(Vec<u32>),
}

/// Training hyper-parameters of the logistic regression.
#[derive(Clone, Copy, Debug)]
pub struct LrParams {
    pub epochs: usize,
    pub lr: f32,
    pub l2: f32,
    pub seed: u64,
    /// Weight each example by `n / (k * n_class)` so small classes count as
    /// much as large ones.
    pub balanced: bool,
}

impl Default for LrParams {
    fn default() -> Self {
        LrParams {
            epochs: 25,
            lr: 0.5,
            l2: 1e-5,
            seed: 0x7121_a6e5,
            balanced: false,
        }
    }
}

/// xorshift64*: a tiny deterministic generator for the shuffle order.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

impl Linear {
    pub fn classes(&self) -> usize {
        self.k
    }

    /// Features with a row of weights.
    pub fn rows(&self) -> usize {
        self.w.len() / self.k.max(1)
    }

    /// Raw class scores.
    pub fn scores(&self, features: &[(u32, f32)], out: &mut [f32]) {
        let k = self.k;
        out[..k].copy_from_slice(&self.b);
        for &(i, v) in features {
            let row = match &self.rows {
                Rows::Dense => Some(i as usize),
                Rows::Sparse(present) => present.binary_search(&i).ok(),
            };
            let Some(base) = row.map(|r| r * k) else {
                continue;
            };
            if let Some(row) = self.w.get(base..base + k) {
                for (o, w) in out[..k].iter_mut().zip(row) {
                    *o += w * v;
                }
            }
        }
    }

    /// Class probabilities (softmax of the scores), written into `out`.
    pub fn probabilities(&self, features: &[(u32, f32)], out: &mut [f32]) {
        self.scores(features, out);
        softmax(&mut out[..self.k]);
    }

    /// Multinomial logistic regression by SGD with a decaying step, L2
    /// weight decay applied to the touched rows, fixed shuffle order.
    pub fn train_logistic(dim: usize, k: usize, samples: &[Sample<'_>], p: LrParams) -> Linear {
        let mut m = Linear {
            k,
            w: vec![0.0; dim * k],
            rows: Rows::Dense,
            b: vec![0.0; k],
        };
        if samples.is_empty() || k == 0 {
            return m;
        }
        let mut class_weight = vec![1.0f32; k];
        if p.balanced {
            let mut counts = vec![0usize; k];
            for s in samples {
                counts[s.label.min(k - 1)] += 1;
            }
            for (w, &c) in class_weight.iter_mut().zip(&counts) {
                *w = if c == 0 {
                    1.0
                } else {
                    samples.len() as f32 / (k * c) as f32
                };
            }
        }
        let mut order: Vec<usize> = (0..samples.len()).collect();
        let mut rng = Rng(p.seed | 1);
        let mut probs = vec![0.0f32; k];
        let mut step = 0usize;
        let total = (p.epochs * samples.len()).max(1) as f32;
        for _ in 0..p.epochs {
            // Fisher–Yates with the fixed generator.
            for i in (1..order.len()).rev() {
                let j = (rng.next() % (i as u64 + 1)) as usize;
                order.swap(i, j);
            }
            for &idx in &order {
                let s = &samples[idx];
                // Linearly decaying learning rate down to 10 %.
                let lr =
                    p.lr * (1.0 - 0.9 * step as f32 / total) * class_weight[s.label.min(k - 1)];
                step += 1;
                m.probabilities(s.features, &mut probs);
                for (c, pr) in probs.iter_mut().enumerate() {
                    *pr -= if c == s.label { 1.0 } else { 0.0 };
                }
                let decay = 1.0 - lr * p.l2;
                for &(i, v) in s.features {
                    let base = i as usize * k;
                    for (w, g) in m.w[base..base + k].iter_mut().zip(&probs) {
                        *w = *w * decay - lr * g * v;
                    }
                }
                for (b, g) in m.b.iter_mut().zip(&probs) {
                    *b -= lr * g * 0.1;
                }
            }
        }
        m
    }

    /// A model trained over [`renumber`]ed features, answering for the
    /// original feature indices: row `r` holds the weights of feature
    /// `present[r]`.
    pub fn over_features(self, present: Vec<u32>) -> Linear {
        debug_assert_eq!(present.len(), self.rows());
        Linear {
            rows: Rows::Sparse(present),
            ..self
        }
    }

    /// Multinomial naive Bayes with Laplace smoothing `alpha`, expressed as
    /// a linear model (log-likelihoods as weights, log-priors as biases).
    pub fn train_naive_bayes(dim: usize, k: usize, samples: &[Sample<'_>], alpha: f32) -> Linear {
        let mut counts = vec![0.0f32; dim * k];
        let mut totals = vec![0.0f32; k];
        let mut docs = vec![0.0f32; k];
        for s in samples {
            docs[s.label] += 1.0;
            for &(i, v) in s.features {
                counts[i as usize * k + s.label] += v;
                totals[s.label] += v;
            }
        }
        let n: f32 = docs.iter().sum::<f32>().max(1.0);
        let b = docs
            .iter()
            .map(|d| ((d + 1.0) / (n + k as f32)).ln())
            .collect();
        let w = counts
            .iter()
            .enumerate()
            .map(|(j, c)| {
                let cls = j % k;
                ((c + alpha) / (totals[cls] + alpha * dim as f32)).ln()
            })
            .collect();
        // Every feature has a weight (unseen ones the smoothed
        // likelihood), so the table stays dense.
        Linear {
            k,
            w,
            rows: Rows::Dense,
            b,
        }
    }
}

/// In-place numerically stable softmax.
pub fn softmax(v: &mut [f32]) {
    for x in v.iter_mut() {
        if x.is_nan() {
            *x = f32::NEG_INFINITY;
        } else if *x == f32::INFINITY {
            *x = f32::MAX;
        }
    }
    let max = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        let u = 1.0 / v.len().max(1) as f32;
        v.iter_mut().for_each(|x| *x = u);
        return;
    }
    let mut sum = 0.0;
    for x in v.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    for x in v.iter_mut() {
        *x /= sum;
    }
}

/// Index of the largest value (first one on ties, so results are stable).
pub fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_separable_toy_problem() {
        let a = [(1u32, 1.0f32)];
        let b = [(2u32, 1.0f32)];
        let samples = vec![
            Sample {
                features: &a,
                label: 0,
            },
            Sample {
                features: &b,
                label: 1,
            },
        ];
        let m = Linear::train_logistic(8, 2, &samples, LrParams::default());
        let mut p = [0.0; 2];
        m.probabilities(&a, &mut p);
        assert!(p[0] > 0.9, "{p:?}");
        m.probabilities(&b, &mut p);
        assert!(p[1] > 0.9, "{p:?}");
        // Renumbered to rows of the features seen (1 and 2), the model
        // scores every input exactly as the dense one, whose other rows
        // (0, 3..8) stay zero.
        let mut seen = vec![a.to_vec(), b.to_vec()];
        let present = renumber(&mut seen, 8);
        assert_eq!(present, [1, 2]);
        let rows: Vec<Sample<'_>> = seen
            .iter()
            .zip([0, 1])
            .map(|(features, label)| Sample { features, label })
            .collect();
        let sparse = Linear::train_logistic(present.len(), 2, &rows, LrParams::default())
            .over_features(present);
        assert_eq!(sparse.rows(), 2);
        assert_eq!(m.rows(), 8);
        for f in [&a[..], &b[..], &[(0, 1.0), (2, 0.5), (7, 2.0)][..]] {
            let (mut compact, mut dense) = ([0.0; 2], [0.0; 2]);
            sparse.scores(f, &mut compact);
            m.scores(f, &mut dense);
            assert_eq!(compact, dense, "{f:?}");
        }
        let nb = Linear::train_naive_bayes(8, 2, &samples, 0.1);
        nb.scores(&a, &mut p);
        assert_eq!(argmax(&p), 0);
    }

    #[test]
    fn softmax_handles_extremes() {
        let mut v = [f32::NAN, 1.0];
        softmax(&mut v);
        assert!(v.iter().all(|x| x.is_finite()));
        let mut v = [1e30, -1e30, 0.0];
        softmax(&mut v);
        assert!((v.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }
}
