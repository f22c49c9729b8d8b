//! Scoring a detector against a labelled corpus (tests/pii-corpus): precision, recall and F2
//! per kind. A prediction counts when it overlaps a labelled span of the same kind; each
//! labelled span is found at most once. F2 weighs recall twice as much as precision: missing
//! personal data costs more than flagging a little too much.

use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub kind: String,
}

#[derive(Default, Clone, Copy, Debug)]
pub struct Counts {
    pub true_positives: u32,
    pub false_positives: u32,
    pub false_negatives: u32,
}

impl Counts {
    pub fn precision(self) -> f64 {
        let found = self.true_positives + self.false_positives;
        if found == 0 { 1.0 } else { f64::from(self.true_positives) / f64::from(found) }
    }

    pub fn recall(self) -> f64 {
        let labelled = self.true_positives + self.false_negatives;
        if labelled == 0 { 1.0 } else { f64::from(self.true_positives) / f64::from(labelled) }
    }

    pub fn f2(self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 5.0 * p * r / (4.0 * p + r) }
    }
}

/// Counts per kind, over texts whose labelled (`gold`) and predicted spans are given in order.
pub fn score(gold: &[Vec<Span>], predicted: &[Vec<Span>]) -> BTreeMap<String, Counts> {
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    for (gold, predicted) in gold.iter().zip(predicted) {
        let mut matched = vec![false; gold.len()];
        for p in predicted {
            let hit = gold
                .iter()
                .enumerate()
                .find(|(i, g)| !matched[*i] && g.kind == p.kind && p.start < g.end && g.start < p.end);
            match hit {
                Some((i, _)) => {
                    matched[i] = true;
                    counts.entry(p.kind.clone()).or_default().true_positives += 1;
                }
                None => counts.entry(p.kind.clone()).or_default().false_positives += 1,
            }
        }
        for (g, found) in gold.iter().zip(matched) {
            if !found {
                counts.entry(g.kind.clone()).or_default().false_negatives += 1;
            }
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: usize, end: usize, kind: &str) -> Span {
        Span { start, end, kind: kind.into() }
    }

    #[test]
    fn overlap_of_the_same_kind_counts_once() {
        let gold = vec![vec![span(0, 10, "email"), span(20, 30, "phone")]];
        let predicted = vec![vec![span(2, 8, "email"), span(3, 9, "email"), span(20, 30, "ssn")]];
        let counts = score(&gold, &predicted);
        let email = counts["email"];
        assert_eq!((email.true_positives, email.false_positives, email.false_negatives), (1, 1, 0));
        assert_eq!(counts["phone"].false_negatives, 1);
        assert_eq!(counts["ssn"].false_positives, 1);
        assert!((email.precision() - 0.5).abs() < 1e-9 && (email.recall() - 1.0).abs() < 1e-9);
        assert!((email.f2() - 5.0 * 0.5 / (4.0 * 0.5 + 1.0)).abs() < 1e-9);
    }
}
