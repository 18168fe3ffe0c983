//! `events --stats`: the cgroup's counters as runc's stats JSON.
