//! What the process benchmarks read from Linux's `/proc`: CPU ticks of a
//! process and of its threads by name, and the load average printed beside
//! every figure (these machines are shared, so a figure means little
//! without it).

use std::collections::HashMap;

/// utime + stime (clock ticks) from a `/proc/.../stat` line.
pub fn stat_ticks(stat: &str) -> Option<u64> {
    // The command name is parenthesised and may hold spaces: count fields
    // after its closing parenthesis (state is field 3, utime 14, stime 15).
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// CPU ticks of a whole process (all threads).
pub fn process_ticks(pid: u32) -> Option<u64> {
    stat_ticks(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// CPU ticks per thread name of a process. Digits are dropped from names,
/// so numbered pools (`tokio-runtime-w1`, `-w2`) share one bucket.
pub fn thread_ticks(pid: u32) -> HashMap<String, u64> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in dir.flatten() {
        let p = t.path();
        let name = std::fs::read_to_string(p.join("comm")).unwrap_or_default();
        if let Some(ticks) = std::fs::read_to_string(p.join("stat"))
            .ok()
            .and_then(|s| stat_ticks(&s))
        {
            let key: String = name
                .trim()
                .chars()
                .filter(|c| !c.is_ascii_digit())
                .collect();
            *out.entry(key).or_default() += ticks;
        }
    }
    out
}

/// The 1, 5 and 15 minute load averages, as `/proc/loadavg` gives them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
