use super::*;
use std::string::String;
use std::vec::Vec;

/// A cgroup directory as a table of files.
struct Files(Vec<(&'static str, &'static str)>);

impl Source for Files {
    fn file<'b>(&self, name: &[u8], buf: &'b mut [u8]) -> Option<&'b [u8]> {
        let (_, t) = self.0.iter().find(|(n, _)| n.as_bytes() == name)?;
        buf[..t.len()].copy_from_slice(t.as_bytes());
        Some(&buf[..t.len()])
    }
    fn names(&self, f: &mut dyn FnMut(&[u8])) {
        for (n, _) in &self.0 {
            f(n.as_bytes());
        }
    }
}

fn render_str(f: &Files) -> String {
    let mut b = crate::out::Buf::<16384>::new();
    render(f, "c1", &mut b);
    assert!(!b.truncated());
    String::from(b.as_str())
}

#[test]
fn flat_keys_and_values() {
    let t = b"usage_usec 100\nuser_usec 60\nnr_throttled 3\n";
    assert_eq!(key(t, b"usage_usec"), Some(100));
    assert_eq!(key(t, b"nr_throttled"), Some(3));
    assert_eq!(key(t, b"usage"), None);
    assert_eq!(key(b"", b"x"), None);
    assert_eq!(value(b"max\n", 7), Some(7));
    assert_eq!(value(b"42\n", 7), Some(42));
    assert_eq!(value(b"junk", 7), None);
}

/// A cgroup with every controller: the exact line runc 1.2/1.3 prints for it (field order,
/// omitempty, sorted map keys, camelCase throttling names, blkio entries without zeros).
#[test]
fn full_stats_event_is_runcs_json() {
    let f = Files(vec![
        (
            "cpu.stat",
            "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 10\nnr_throttled 4\nthrottled_usec 300\nnr_bursts 0\n",
        ),
        (
            "cpu.pressure",
            "some avg10=1.50 avg60=0.00 avg300=10.25 total=1234\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
        ),
        ("memory.stat", "file 4096\nanon 8192\nactive_file 100\nzswap 0\n"),
        ("memory.current", "12288\n"),
        ("memory.max", "33554432\n"),
        ("memory.peak", "20000\n"),
        ("memory.swap.current", "5\n"),
        ("memory.swap.max", "1000\n"),
        ("memory.events", "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n"),
        ("pids.current", "3\n"),
        ("pids.max", "10\n"),
        (
            "io.stat",
            "8:0 rbytes=100 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n253:1 rbytes=5 wbytes=7 rios=9 wios=2\n",
        ),
        ("hugetlb.2MB.current", "2097152\n"),
        ("hugetlb.2MB.rsvd.current", "4194304\n"),
        ("hugetlb.2MB.rsvd.events", "max 2\n"),
        ("hugetlb.2MB.events", "max 9\n"),
        ("hugetlb.1GB.current", "0\n"),
        ("hugetlb.1GB.rsvd.current", "0\n"),
        ("hugetlb.1GB.rsvd.events", "max 0\n"),
        ("hugetlb.64KB.current", "0\n"),
        ("hugetlb.64KB.rsvd.current", "0\n"),
        ("hugetlb.64KB.rsvd.events", "max 0\n"),
    ]);
    let want = concat!(
        r#"{"type":"stats","id":"c1","data":{"#,
        r#""cpu":{"usage":{"total":2500000,"kernel":500000,"user":2000000},"#,
        r#""throttling":{"periods":10,"throttledPeriods":4,"throttledTime":300000},"#,
        r#""psi":{"some":{"avg10":1.5,"avg60":0,"avg300":10.25,"total":1234},"full":{"avg10":0,"avg60":0,"avg300":0,"total":0}}},"#,
        r#""cpuset":{"cpu_exclusive":0,"mem_hardwall":0,"mem_exclusive":0,"memory_migrate":0,"memory_spread_page":0,"memory_spread_slab":0,"memory_pressure":0,"sched_load_balance":0,"sched_relax_domain_level":0},"#,
        r#""memory":{"cache":4096,"usage":{"limit":33554432,"usage":12288,"max":20000,"failcnt":0},"#,
        r#""swap":{"limit":33555432,"usage":12293,"failcnt":0},"kernel":{"limit":0,"failcnt":0},"kernelTCP":{"limit":0,"failcnt":0},"#,
        r#""raw":{"active_file":100,"anon":8192,"file":4096,"zswap":0}},"#,
        r#""pids":{"current":3,"limit":10},"#,
        r#""blkio":{"ioServiceBytesRecursive":[{"major":8,"op":"Read","value":100},{"major":8,"op":"Write"},{"major":253,"minor":1,"op":"Read","value":5},{"major":253,"minor":1,"op":"Write","value":7}],"#,
        r#""ioServicedRecursive":[{"major":8,"op":"Read","value":1},{"major":8,"op":"Write"},{"major":253,"minor":1,"op":"Read","value":9},{"major":253,"minor":1,"op":"Write","value":2}]},"#,
        r#""hugetlb":{"1GB":{"failcnt":0},"2MB":{"usage":4194304,"failcnt":2},"64KB":{"failcnt":0}},"#,
        r#""intel_rdt":{},"network_interfaces":null}}"#,
    );
    let got = render_str(&f);
    assert_eq!(got, want);
    // And it is JSON.
    let v = json::parse(&got).unwrap();
    assert_eq!(v["data"]["memory"]["raw"]["anon"], 8192);
}

/// A cgroup with no controllers (a hybrid host's unified hierarchy): what runc prints
/// when every read but cpu.stat and cgroup.procs fails.
#[test]
fn bare_cgroup_stats_event() {
    let f = Files(vec![
        ("cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\n"),
        ("cgroup.procs", "12\n13\n"),
    ]);
    let want = concat!(
        r#"{"type":"stats","id":"c1","data":{"#,
        r#""cpu":{"usage":{"kernel":0,"user":0},"throttling":{}},"#,
        r#""cpuset":{"cpu_exclusive":0,"mem_hardwall":0,"mem_exclusive":0,"memory_migrate":0,"memory_spread_page":0,"memory_spread_slab":0,"memory_pressure":0,"sched_load_balance":0,"sched_relax_domain_level":0},"#,
        r#""memory":{"usage":{"limit":0,"failcnt":0},"swap":{"limit":0,"failcnt":0},"kernel":{"limit":0,"failcnt":0},"kernelTCP":{"limit":0,"failcnt":0}},"#,
        r#""pids":{"current":2},"blkio":{},"hugetlb":{},"intel_rdt":{},"network_interfaces":null}}"#,
    );
    assert_eq!(render_str(&f), want);
}

/// Unlimited memory and swap, no swap accounting, no pids limit, hugetlb without
/// reservation accounting.
#[test]
fn limits_max_and_missing_swap() {
    let f = Files(vec![
        ("memory.stat", "file 0\n"),
        ("memory.current", "100\n"),
        ("memory.max", "max\n"),
        ("memory.swap.current", "0\n"),
        ("memory.swap.max", "max\n"),
        ("pids.current", "1\n"),
        ("pids.max", "max\n"),
        ("hugetlb.2MB.current", "2097152\n"),
        ("hugetlb.2MB.events", "max 3\n"),
    ]);
    let got = render_str(&f);
    assert!(
        got.contains(
            r#""memory":{"usage":{"limit":18446744073709551615,"usage":100,"failcnt":0},"swap":{"limit":18446744073709551615,"usage":100,"failcnt":0},"#
        ),
        "{got}"
    );
    assert!(got.contains(r#""raw":{"file":0}}"#), "{got}");
    assert!(got.contains(r#""pids":{"current":1},"#), "{got}");
    assert!(
        got.contains(r#""hugetlb":{"2MB":{"usage":2097152,"failcnt":3}}"#),
        "{got}"
    );
    // No memory.swap.current: swap-only data is zero, so swap is memory (runc).
    let f = Files(vec![
        ("memory.stat", ""),
        ("memory.current", "100\n"),
        ("memory.max", "4096\n"),
    ]);
    let got = render_str(&f);
    assert!(
        got.contains(r#""swap":{"limit":4096,"usage":100,"failcnt":0}"#),
        "{got}"
    );
}

#[test]
fn io_stat() {
    let t = b"8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n253:1 rbytes=5 wbytes=0\n";
    let mut v = Vec::new();
    io_each(t, b"rbytes", b"wbytes", &mut |a, b, op, n| {
        v.push((a, b, String::from(op), n))
    });
    assert_eq!(
        v,
        vec![
            (8, 0, "Read".into(), 100),
            (8, 0, "Write".into(), 200),
            (253, 1, "Read".into(), 5),
            (253, 1, "Write".into(), 0)
        ]
    );
    let mut n = 0;
    io_each(
        b"garbage\n:\n1:x rbytes=1\n",
        b"rbytes",
        b"wbytes",
        &mut |_, _, _, _| n += 1,
    );
    assert_eq!(n, 0);
}

#[test]
fn psi_numbers_as_go_prints_them() {
    for (k, want) in [
        ("0.00", "0"),
        ("1.50", "1.5"),
        ("10.25", "10.25"),
        ("100.00", "100"),
        ("7", "7"),
    ] {
        let mut b = crate::out::Buf::<16>::new();
        psi_float(&mut b, k.as_bytes());
        assert_eq!(b.as_str(), want, "{k}");
    }
}

#[test]
fn durations() {
    assert_eq!(duration_ms(b"5s"), Some(5000));
    assert_eq!(duration_ms(b"100ms"), Some(100));
    assert_eq!(duration_ms(b"2m"), Some(120_000));
    assert_eq!(duration_ms(b"1h"), Some(3_600_000));
    assert_eq!(duration_ms(b"10us"), Some(1));
    for bad in [&b""[..], b"5", b"s", b"5x", b"-1s", b"1.5s"] {
        assert_eq!(duration_ms(bad), None);
    }
}
