use super::*;
use std::string::String;
use std::vec::Vec;

/// Records (file, value) pairs; `2`: the BFQ scheduler is loaded (io.bfq.weight exists).
struct Rec(Vec<(String, String)>, Option<u64>, bool);

impl Sink for Rec {
    fn set(&mut self, file: &[u8], value: &[u8]) -> core::result::Result<(), Errno> {
        let f = String::from_utf8(file.to_vec()).unwrap();
        if f == "io.bfq.weight" && !self.2 {
            return Err(Errno::NOENT);
        }
        // A kernel before 5.7 has no reservation limits (here for 1GB pages only).
        if f == "missing.file" || f == "hugetlb.1GB.rsvd.max" {
            return Err(Errno::NOENT);
        }
        self.0.push((f, String::from_utf8(value.to_vec()).unwrap()));
        Ok(())
    }
    fn number(&mut self, _: &[u8]) -> Option<u64> {
        self.1
    }
    fn path(&self) -> &[u8] {
        b"/cg/c1"
    }
}

fn run(json: &str) -> Result<Vec<(String, String)>> {
    run_with(json, false, None)
}

fn run_with(json: &str, update: bool, current: Option<u64>) -> Result<Vec<(String, String)>> {
    let mut buf = json.as_bytes().to_vec();
    let r = crate::spec::parse_resources(&mut buf)?;
    let mut rec = Rec(Vec::new(), current, false);
    apply(&r, &mut rec, update)?;
    Ok(rec.0)
}

fn run_bfq(json: &str) -> Result<Vec<(String, String)>> {
    let mut buf = json.as_bytes().to_vec();
    let r = crate::spec::parse_resources(&mut buf)?;
    let mut rec = Rec(Vec::new(), None, true);
    apply(&r, &mut rec, false)?;
    Ok(rec.0)
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn memory() {
    assert_eq!(
        run(r#"{"memory":{"limit":1048576,"reservation":4096,"swap":3145728}}"#).unwrap(),
        pairs(&[
            ("memory.swap.max", "2097152"),
            ("memory.max", "1048576"),
            ("memory.low", "4096")
        ])
    );
    assert_eq!(
        run(r#"{"memory":{"limit":-1}}"#).unwrap(),
        pairs(&[("memory.swap.max", "max"), ("memory.max", "max")])
    );
    assert_eq!(
        run(r#"{"memory":{"limit":100,"swap":-1}}"#).unwrap(),
        pairs(&[("memory.swap.max", "max"), ("memory.max", "100")])
    );
    assert!(run(r#"{"memory":{"swap":100}}"#).is_err());
    assert!(run(r#"{"memory":{"limit":200,"swap":100}}"#).is_err());
    assert!(run(r#"{"memory":{"limit":-5}}"#).is_err());
    assert!(run(r#"{"memory":{"swappiness":10}}"#).is_err());
    // Ignored on v2 (as runc): only a warning.
    assert_eq!(
        run(r#"{"memory":{"disableOOMKiller":true,"useHierarchy":true}}"#).unwrap(),
        pairs(&[])
    );
}

#[test]
fn check_before_update() {
    let j = r#"{"memory":{"limit":1000,"checkBeforeUpdate":true}}"#;
    assert!(run_with(j, true, Some(2000)).is_err());
    // At the usage is refused too (runc's CheckMemoryUsage: limit <= usage).
    assert!(run_with(j, true, Some(1000)).is_err());
    assert!(run_with(j, true, Some(500)).is_ok());
    assert!(run_with(j, false, Some(2000)).is_ok());
    // No memory.current: no check.
    assert!(run_with(j, true, None).is_ok());
    let j = r#"{"memory":{"limit":1000,"swap":1500,"checkBeforeUpdate":true}}"#;
    let e = run_with(j, true, Some(1500)).unwrap_err();
    assert!(
        std::format!("{e}").contains("linux.resources.memory.swap"),
        "{e}"
    );
    assert!(run_with(j, true, Some(900)).is_ok());
}

#[test]
fn swap_conversion() {
    assert_eq!(swap_v2(0, -1).unwrap(), Some(-1));
    assert_eq!(swap_v2(0, 100).unwrap(), None);
    assert_eq!(swap_v2(-1, 100).unwrap(), Some(-1));
    assert_eq!(swap_v2(300, 100).unwrap(), Some(200));
    assert_eq!(swap_v2(100, 100).unwrap(), Some(0));
    assert!(swap_v2(100, 0).is_err());
    // Unlimited memory: swap as given (runc's ConvertMemorySwapToCgroupV2Value).
    assert_eq!(swap_v2(100, -1).unwrap(), Some(100));
    assert!(swap_v2(50, 100).is_err());
}

/// The formula runc and crun document, in f64 as they compute it (Go math.Log2, Pow, Ceil).
fn shares_to_weight_f64(shares: u64) -> u64 {
    if shares == 0 {
        return 0;
    }
    if shares <= 2 {
        return 1;
    }
    if shares >= 262_144 {
        return 10_000;
    }
    let l = (shares as f64).log2();
    let e = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
    10f64.powf(e).ceil() as u64
}

#[test]
fn shares_to_weight_matches_the_f64_formula_everywhere() {
    // The anchors the formula was fitted to, and values runc's changelog and tests quote.
    for (s, w) in [
        (2, 1),
        (1024, 100),
        (262_144, 10_000),
        (2000, 170),
        (3, 2),
        (512, 59),
    ] {
        assert_eq!(shares_to_weight(s), w, "shares {s}");
        assert_eq!(shares_to_weight_f64(s), w, "f64 shares {s}");
    }
    // Every value in the v1 range, and how close the f64 value ever comes to an integer
    // above it (outside the exact anchors): the fixed-point tolerance must stay below that.
    let mut closest = f64::MAX;
    let mut prev = 0;
    for s in 2..=262_144u64 {
        let w = shares_to_weight(s);
        assert_eq!(w, shares_to_weight_f64(s), "shares {s}");
        assert!(w >= prev, "monotonic at {s}");
        prev = w;
        if s > 2 && s != 1024 && s < 262_144 {
            let l = (s as f64).log2();
            let v = 10f64.powf((l * l + 125.0 * l) / 612.0 - 7.0 / 34.0);
            closest = closest.min((v - v.floor()) / v);
        }
    }
    assert!(
        closest > 1e-10,
        "the f64 value comes within {closest:e} of an integer"
    );
}

#[test]
fn cpu() {
    assert_eq!(shares_to_weight(0), 0);
    assert_eq!(shares_to_weight(1), 1);
    assert_eq!(shares_to_weight(2), 1);
    assert_eq!(shares_to_weight(1024), 100);
    assert_eq!(shares_to_weight(262_144), 10_000);
    assert_eq!(shares_to_weight(u64::MAX), 10_000);
    assert_eq!(
        run(r#"{"cpu":{"shares":1024,"quota":50000,"period":100000,"burst":1000,"idle":1,"cpus":"0-1","mems":"0"}}"#)
            .unwrap(),
        pairs(&[
            ("cpu.weight", "100"),
            ("cpu.idle", "1"),
            ("cpu.max", "50000 100000"),
            ("cpu.max.burst", "1000"),
            ("cpuset.cpus", "0-1"),
            ("cpuset.mems", "0"),
        ])
    );
    assert_eq!(
        run(r#"{"cpu":{"quota":-1}}"#).unwrap(),
        pairs(&[("cpu.max", "max")])
    );
    assert_eq!(
        run(r#"{"cpu":{"period":20000}}"#).unwrap(),
        pairs(&[("cpu.max", "max 20000")])
    );
    assert_eq!(
        run(r#"{"cpu":{"quota":20000}}"#).unwrap(),
        pairs(&[("cpu.max", "20000")])
    );
    assert!(run(r#"{"cpu":{"realtimeRuntime":100}}"#).is_err());
    assert!(run(r#"{"cpu":{"realtimePeriod":100}}"#).is_err());
}

#[test]
fn pids() {
    assert_eq!(
        run(r#"{"pids":{"limit":10}}"#).unwrap(),
        pairs(&[("pids.max", "10")])
    );
    assert_eq!(
        run(r#"{"pids":{"limit":-1}}"#).unwrap(),
        pairs(&[("pids.max", "max")])
    );
    assert_eq!(
        run(r#"{"pids":{"limit":0}}"#).unwrap(),
        pairs(&[("pids.max", "max")])
    );
}

#[test]
fn block_io() {
    assert_eq!(blkio_to_io_weight(0), 0);
    assert_eq!(blkio_to_io_weight(10), 1);
    assert_eq!(blkio_to_io_weight(500), 4950);
    assert_eq!(blkio_to_io_weight(1000), 10_000);
    assert_eq!(
        run(
            r#"{"blockIO":{"weight":500,"weightDevice":[{"major":8,"minor":0,"weight":1000}],
            "throttleReadBpsDevice":[{"major":8,"minor":0,"rate":1048576}],
            "throttleWriteBpsDevice":[{"major":8,"minor":0,"rate":0}],
            "throttleReadIOPSDevice":[{"major":8,"minor":16,"rate":100}],
            "throttleWriteIOPSDevice":[{"major":8,"minor":16,"rate":200}]}}"#
        )
        .unwrap(),
        pairs(&[
            ("io.weight", "4950"),
            ("io.weight", "8:0 10000"),
            ("io.max", "8:0 rbps=1048576"),
            ("io.max", "8:0 wbps=max"),
            ("io.max", "8:16 riops=100"),
            ("io.max", "8:16 wiops=200"),
        ])
    );
    // With BFQ loaded, its own file and scale (runc's bats test: weight 750 reads back
    // `default 750` from io.bfq.weight, else `default 7475` from io.weight).
    assert_eq!(
        run_bfq(
            r#"{"blockIO":{"weight":750,"weightDevice":[{"major":8,"minor":0,"weight":300}]}}"#
        )
        .unwrap(),
        pairs(&[("io.bfq.weight", "750"), ("io.bfq.weight", "8:0 300")])
    );
    assert_eq!(
        run(r#"{"blockIO":{"weight":750}}"#).unwrap(),
        pairs(&[("io.weight", "7475")])
    );
}

#[test]
fn hugetlb_rdma_unified() {
    assert_eq!(
        run(r#"{"hugepageLimits":[{"pageSize":"2MB","limit":4194304}]}"#).unwrap(),
        pairs(&[
            ("hugetlb.2MB.max", "4194304"),
            ("hugetlb.2MB.rsvd.max", "4194304")
        ])
    );
    assert_eq!(
        run(r#"{"hugepageLimits":[{"pageSize":"1GB","limit":0}]}"#).unwrap(),
        pairs(&[("hugetlb.1GB.max", "0")])
    );
    assert!(run(r#"{"hugepageLimits":[{"pageSize":"../x","limit":1}]}"#).is_err());
    assert_eq!(
        run(r#"{"rdma":{"mlx5_1":{"hcaHandles":3,"hcaObjects":10000},"mlx4_0":{"hcaObjects":5}}}"#)
            .unwrap(),
        pairs(&[
            ("rdma.max", "mlx5_1 hca_handle=3 hca_object=10000"),
            ("rdma.max", "mlx4_0 hca_handle=max hca_object=5"),
        ])
    );
    assert_eq!(
        run(r#"{"unified":{"memory.high":"1000","io.latency":"8:0 target=10"}}"#).unwrap(),
        pairs(&[("memory.high", "1000"), ("io.latency", "8:0 target=10")])
    );
    for bad in ["../x.y", "a/b.max", "..", ".hidden", "nodot"] {
        let j = std::format!(r#"{{"unified":{{"{bad}":"1"}}}}"#);
        assert!(run(&j).is_err(), "{bad}");
    }
    let e = run(r#"{"unified":{"missing.file":"1"}}"#).unwrap_err();
    let t = std::format!("{e}");
    assert!(
        t.contains("linux.resources.unified") && t.contains("/cg/c1/missing.file"),
        "{t}"
    );
}

#[test]
fn missing_controller_named() {
    struct None_;
    impl Sink for None_ {
        fn set(&mut self, _: &[u8], _: &[u8]) -> core::result::Result<(), Errno> {
            Err(Errno::NOENT)
        }
        fn number(&mut self, _: &[u8]) -> Option<u64> {
            None
        }
        fn path(&self) -> &[u8] {
            b"/sys/fs/cgroup/husk/c1"
        }
    }
    let mut buf = br#"{"memory":{"limit":1000}}"#.to_vec();
    let r = crate::spec::parse_resources(&mut buf).unwrap();
    let t = std::format!("{}", apply(&r, &mut None_, false).unwrap_err());
    assert!(
        t.starts_with("linux.resources.memory.limit /sys/fs/cgroup/husk/c1/memory.max"),
        "{t}"
    );
    assert!(t.contains("controller memory not available"), "{t}");
}

#[test]
fn needed_controllers() {
    let mut buf = br#"{"memory":{"limit":1000},"pids":{"limit":3},"cpu":{"shares":2,"cpus":"0"},"unified":{"memory.high":"5","cgroup.type":"threaded"}}"#.to_vec();
    let r = crate::spec::parse_resources(&mut buf).unwrap();
    assert_eq!(controllers(&r).unwrap().as_str(), "memory cpu cpuset pids");
    let mut buf = br#"{"devices":[{"allow":false,"access":"rwm"}]}"#.to_vec();
    let r = crate::spec::parse_resources(&mut buf).unwrap();
    assert_eq!(controllers(&r).unwrap().as_str(), "");
}
