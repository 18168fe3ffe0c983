//! Service ordering from `org.husk.depends-on`: starts follow the dependencies (ties in name
//! order), stops run the other way round (a service stops only once nothing that depends
//! on it runs). A cycle is an error naming it (`a -> b -> a`); the services in it, and
//! those depending on them, are not started.

use super::limits::{BUNDLES_MAX, DEPENDS_MAX};

/// The indices (into the bundle table) a service depends on.
pub type Deps = heapless::Vec<u8, DEPENDS_MAX>;
/// A list of bundle indices.
pub type Indices = heapless::Vec<u8, BUNDLES_MAX>;

/// The start order of the services `members` (indices, in name order), given every
/// bundle's dependencies. Returns (order, blocked): `blocked` holds the members that can
/// never start because they are in a cycle or depend on one.
pub fn start_order(members: &[u8], deps: &[Deps]) -> (Indices, Indices) {
    let mut order = Indices::new();
    let placed = |order: &Indices, i: u8| order.contains(&i);
    loop {
        // The first member in name order whose dependencies are all placed.
        let next = members.iter().copied().find(|&m| {
            !placed(&order, m)
                && deps
                    .get(m as usize)
                    .is_none_or(|d| d.iter().all(|x| !members.contains(x) || placed(&order, *x)))
        });
        match next {
            Some(m) => {
                let _ = order.push(m);
            }
            None => break,
        }
    }
    let blocked = members
        .iter()
        .copied()
        .filter(|m| !placed(&order, *m))
        .collect();
    (order, blocked)
}

/// A cycle through `start` (a blocked member): the path of indices from a node back to
/// itself, first node repeated at the end; empty when `start` only depends on a cycle
/// without being in one and none is found within the table (cannot happen for blocked).
pub fn find_cycle(start: u8, blocked: &[u8], deps: &[Deps]) -> Indices {
    // Walk blocked dependencies; within |blocked| + 1 steps a node repeats.
    let mut path = Indices::new();
    let mut at = start;
    for _ in 0..=blocked.len() {
        if let Some(pos) = path.iter().position(|&p| p == at) {
            let mut cycle: Indices = path.iter().copied().skip(pos).collect();
            let _ = cycle.push(at);
            return cycle;
        }
        let _ = path.push(at);
        match deps
            .get(at as usize)
            .and_then(|d| d.iter().copied().find(|x| blocked.contains(x)))
        {
            Some(n) => at = n,
            None => break,
        }
    }
    Indices::new()
}

/// Whether `i` may be stopped now: no service in `active` depends on it.
pub fn can_stop(i: u8, active: &[u8], deps: &[Deps]) -> bool {
    !active
        .iter()
        .any(|&a| a != i && deps.get(a as usize).is_some_and(|d| d.contains(&i)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps(list: &[&[u8]]) -> Vec<Deps> {
        list.iter()
            .map(|d| d.iter().copied().collect::<Deps>())
            .collect()
    }

    #[test]
    fn dependencies_first_then_name_order() {
        // 0 web -> 2 db; 1 cache; 2 db -> 3 disk; 3 disk
        let d = deps(&[&[2], &[], &[3], &[]]);
        let (order, blocked) = start_order(&[0, 1, 2, 3], &d);
        assert_eq!(order.as_slice(), [1, 3, 2, 0]);
        assert!(blocked.is_empty());
    }

    #[test]
    fn dependencies_outside_the_members_are_ignored() {
        // 1 depends on 0, which is not a member (an onboot bundle, already done)
        let d = deps(&[&[], &[0]]);
        let (order, _) = start_order(&[1], &d);
        assert_eq!(order.as_slice(), [1]);
    }

    #[test]
    fn cycles_block_their_members_and_dependents() {
        // 0 -> 1 -> 2 -> 0 is a cycle; 3 depends on 2; 4 is free
        let d = deps(&[&[1], &[2], &[0], &[2], &[]]);
        let (order, blocked) = start_order(&[0, 1, 2, 3, 4], &d);
        assert_eq!(order.as_slice(), [4]);
        assert_eq!(blocked.as_slice(), [0, 1, 2, 3]);
        assert_eq!(find_cycle(0, &blocked, &d).as_slice(), [0, 1, 2, 0]);
        // from a dependent, the cycle it hangs on
        assert_eq!(find_cycle(3, &blocked, &d).as_slice(), [2, 0, 1, 2]);
        // a service depending on itself
        let d = deps(&[&[0]]);
        let (_, blocked) = start_order(&[0], &d);
        assert_eq!(find_cycle(0, &blocked, &d).as_slice(), [0, 0]);
    }

    #[test]
    fn stops_wait_for_dependents() {
        let d = deps(&[&[2], &[], &[3], &[]]);
        assert!(can_stop(0, &[0, 1, 2, 3], &d));
        assert!(!can_stop(2, &[0, 1, 2, 3], &d));
        assert!(!can_stop(3, &[2, 3], &d));
        assert!(can_stop(3, &[3, 1], &d));
    }
}
