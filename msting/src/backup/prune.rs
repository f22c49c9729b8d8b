//! Which backups a retention policy keeps, after restic's `forget`: the newest N, then the
//! newest of each of the last D days, W ISO weeks and M months that have a backup. A backup
//! kept for any reason is kept; the reasons are reported. Dates are UTC.

use time::OffsetDateTime;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    pub keep_last: u32,
    pub keep_daily: u32,
    pub keep_weekly: u32,
    pub keep_monthly: u32,
}

impl Policy {
    pub fn is_empty(&self) -> bool {
        *self == Policy::default()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub index: usize,
    /// Why it is kept (`last`, `daily`, `weekly`, `monthly`); empty means removed.
    pub reasons: Vec<&'static str>,
}

/// The period a time falls in: (year, day, week or month number).
type BucketOf = fn(OffsetDateTime) -> (i32, u32);

/// One decision per backup in `created` (any order), in the same order.
pub fn decide(policy: &Policy, created: &[OffsetDateTime]) -> Vec<Decision> {
    let mut order: Vec<usize> = (0..created.len()).collect();
    order.sort_by(|a, b| created[*b].cmp(&created[*a]));
    let mut decisions: Vec<Decision> =
        (0..created.len()).map(|index| Decision { index, reasons: Vec::new() }).collect();
    for (position, &index) in order.iter().enumerate() {
        if position < policy.keep_last as usize {
            decisions[index].reasons.push("last");
        }
    }
    let buckets: [(&'static str, u32, BucketOf); 3] = [
        ("daily", policy.keep_daily, |t| (t.year(), t.ordinal() as u32)),
        ("weekly", policy.keep_weekly, |t| {
            let (year, week, _) = t.to_iso_week_date();
            (year, week as u32)
        }),
        ("monthly", policy.keep_monthly, |t| (t.year(), t.month() as u32)),
    ];
    for (reason, count, bucket_of) in buckets {
        let mut taken: Vec<(i32, u32)> = Vec::new();
        for &index in &order {
            if taken.len() >= count as usize {
                break;
            }
            let bucket = bucket_of(created[index].to_offset(time::UtcOffset::UTC));
            // Newest first: the first backup seen in a bucket is its newest.
            if !taken.contains(&bucket) {
                taken.push(bucket);
                decisions[index].reasons.push(reason);
            }
        }
    }
    decisions
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn kept(policy: Policy, created: &[OffsetDateTime]) -> Vec<OffsetDateTime> {
        let mut out: Vec<_> =
            decide(&policy, created).into_iter().filter(|d| !d.reasons.is_empty()).map(|d| created[d.index]).collect();
        out.sort();
        out
    }

    /// Two backups a day at 03:00 and 15:00 for 100 days from 2026-01-01.
    fn twice_daily() -> Vec<OffsetDateTime> {
        let start = datetime!(2026-01-01 03:00 UTC);
        (0..200).map(|i| start + time::Duration::hours(12 * i)).collect()
    }

    #[test]
    fn keep_last_keeps_exactly_the_newest() {
        let all = twice_daily();
        assert_eq!(kept(Policy { keep_last: 3, ..Default::default() }, &all), all[197..].to_vec());
    }

    #[test]
    fn daily_keeps_the_newest_of_each_of_the_last_days() {
        let all = twice_daily();
        let kept = kept(Policy { keep_daily: 7, ..Default::default() }, &all);
        assert_eq!(kept.len(), 7);
        assert!(kept.iter().all(|t| t.hour() == 15), "the newest of each day: {kept:?}");
        assert_eq!(kept.last(), all.last());
        assert_eq!(kept[0], datetime!(2026-04-04 15:00 UTC));
    }

    #[test]
    fn weekly_and_monthly_use_iso_weeks_and_calendar_months() {
        let all = twice_daily();
        let weekly = kept(Policy { keep_weekly: 2, ..Default::default() }, &all);
        // The last backup is Friday 2026-04-10 15:00 (ISO week 15); week 14 ends Sunday 04-05.
        assert_eq!(weekly, vec![datetime!(2026-04-05 15:00 UTC), datetime!(2026-04-10 15:00 UTC)]);
        let monthly = kept(Policy { keep_monthly: 3, ..Default::default() }, &all);
        assert_eq!(
            monthly,
            vec![datetime!(2026-02-28 15:00 UTC), datetime!(2026-03-31 15:00 UTC), datetime!(2026-04-10 15:00 UTC)]
        );
    }

    #[test]
    fn rules_combine_and_each_backup_says_why_it_stays() {
        let all = twice_daily();
        let policy = Policy { keep_last: 2, keep_daily: 3, keep_weekly: 2, keep_monthly: 2 };
        let decisions = decide(&policy, &all);
        let newest = decisions.iter().find(|d| d.index == all.len() - 1).unwrap();
        assert_eq!(newest.reasons, ["last", "daily", "weekly", "monthly"]);
        let second = decisions.iter().find(|d| d.index == all.len() - 2).unwrap();
        assert_eq!(second.reasons, ["last"]);
        // last 2 + days 04-09, 04-08 + week 14's newest + March's newest: 6 kept.
        assert_eq!(decisions.iter().filter(|d| !d.reasons.is_empty()).count(), 6);
        // Given in any order, the same backups are kept.
        let mut shuffled = all.clone();
        shuffled.reverse();
        assert_eq!(kept(policy, &shuffled), kept(policy, &all));
    }

    #[test]
    fn an_empty_policy_is_recognised() {
        assert!(Policy::default().is_empty());
        assert!(!Policy { keep_monthly: 1, ..Default::default() }.is_empty());
    }
}
