//! Ranks: job grades ordered by level, smaller level meaning higher rank.

use crate::{Error, OrgId, RankId, Result};
use std::collections::HashSet;

/// The message OmniBPM clients know for a rank that still has users.
pub const NON_EMPTY_RANK: &str = "Trying to delete a non-empty user rank";
/// The message OmniBPM clients know for an incomplete `rank/order`.
pub const MISSING_RANKS: &str = "Missing ranks in the order list.";

/// A rank.
#[derive(Debug, Clone, PartialEq)]
pub struct Rank {
    pub id: RankId,
    pub org_id: OrgId,
    pub name: String,
    pub level: i64,
    pub is_active: bool,
    pub client_extra: Option<String>,
}

/// A level is a positive whole number.
pub fn check_level(level: i64) -> Result<()> {
    if (1..=1_000_000_000).contains(&level) {
        Ok(())
    } else {
        Err(Error::invalid(
            "level must be a whole number from 1 to 1000000000.",
        ))
    }
}

/// A rank with users can be neither inactivated nor deleted.
pub fn check_empty(user_count: i64) -> Result<()> {
    if user_count > 0 {
        Err(Error::conflict(NON_EMPTY_RANK))
    } else {
        Ok(())
    }
}

/// Plans `rank/order`: `order` must name every rank once, highest first. The ranks keep the
/// set of levels they have now, handed out in the new order, so gaps between levels stay.
pub fn plan_order(existing: &[Rank], order: &[RankId]) -> Result<Vec<(RankId, i64)>> {
    let known: HashSet<RankId> = existing.iter().map(|r| r.id).collect();
    let mut seen = HashSet::with_capacity(order.len());
    for id in order {
        if !known.contains(id) {
            return Err(Error::not_found("Rank", id));
        }
        if !seen.insert(*id) {
            return Err(Error::invalid(format!(
                "Rank {id} appears more than once in the order list."
            )));
        }
    }
    if seen.len() != known.len() {
        return Err(Error::invalid(MISSING_RANKS));
    }
    let mut levels: Vec<i64> = existing.iter().map(|r| r.level).collect();
    levels.sort_unstable();
    Ok(order.iter().copied().zip(levels).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rank(id: i64, level: i64) -> Rank {
        Rank {
            id: RankId(id),
            org_id: OrgId(1),
            name: format!("r{id}"),
            level,
            is_active: true,
            client_extra: None,
        }
    }

    #[test]
    fn order_hands_out_existing_levels_highest_first() {
        let ranks = [rank(1, 1), rank(2, 2), rank(3, 3), rank(4, 10)];
        let plan = plan_order(&ranks, &[RankId(4), RankId(2), RankId(1), RankId(3)]).unwrap();
        assert_eq!(
            plan,
            vec![
                (RankId(4), 1),
                (RankId(2), 2),
                (RankId(1), 3),
                (RankId(3), 10)
            ]
        );
    }

    #[test]
    fn order_must_list_every_rank_once() {
        let ranks = [rank(1, 1), rank(2, 2)];
        assert_eq!(
            plan_order(&ranks, &[RankId(1)]),
            Err(Error::invalid(MISSING_RANKS))
        );
        assert!(plan_order(&ranks, &[RankId(1), RankId(1)]).is_err());
        assert!(matches!(
            plan_order(&ranks, &[RankId(1), RankId(9)]),
            Err(Error::NotFound(_))
        ));
    }

    #[test]
    fn rank_with_users_is_not_empty() {
        assert_eq!(check_empty(1), Err(Error::conflict(NON_EMPTY_RANK)));
        assert!(check_empty(0).is_ok());
    }

    proptest! {
        #[test]
        fn a_valid_order_keeps_levels_unique_and_follows_the_list(
            levels in proptest::collection::hash_set(1i64..1000, 1..20),
            seed in any::<u64>(),
        ) {
            let ranks: Vec<Rank> = levels.iter().enumerate().map(|(i, l)| rank(i as i64, *l)).collect();
            let mut order: Vec<RankId> = ranks.iter().map(|r| r.id).collect();
            // A deterministic shuffle from the seed.
            let n = order.len();
            for i in 0..n { order.swap(i, (seed as usize).wrapping_mul(i + 7) % n); }
            let plan = plan_order(&ranks, &order).unwrap();
            let new_levels: Vec<i64> = plan.iter().map(|(_, l)| *l).collect();
            let mut sorted = new_levels.clone();
            sorted.sort_unstable();
            prop_assert_eq!(&new_levels, &sorted);
            prop_assert_eq!(plan.iter().map(|(id, _)| *id).collect::<Vec<_>>(), order);
        }
    }
}
