//! What a stage's instances may use while running (`resources:`), how often a
//! scheduler failure is retried (`retries:`), and which executor runs the
//! pipeline (`executor:`). None of it enters the cache key: where and with
//! how many threads a result was computed does not change its bits.
//!
//! ```yaml
//! executor: slurm            # or local (the default); `--executor` overrides
//! stages:
//!   train:
//!     kind: train
//!     resources: { threads: 2, mem: 4G, time: "2:00:00", gpus: 1, partition: gpu, sbatch: ["--qos=long"] }
//!     retries: 2             # after TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, CANCELLED…
//! ```

use serde::{Deserialize, Serialize};

/// Which executor runs the instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecutorKind {
    /// On this machine: threads, and worker processes for training.
    #[default]
    Local,
    /// One Slurm job (or array task) per instance.
    Slurm,
}

impl std::str::FromStr for ExecutorKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "local" => Ok(ExecutorKind::Local),
            "slurm" => Ok(ExecutorKind::Slurm),
            _ => Err(format!("unknown executor `{s}`: use `local` or `slurm`")),
        }
    }
}

/// `resources:` as written in the YAML.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourcesSpec {
    /// CPU threads of one instance: its thread pool locally, and
    /// `--cpus-per-task` on Slurm (`cpus` is accepted as a synonym).
    #[serde(default, alias = "cpus")]
    pub threads: Option<serde_yaml::Value>,
    /// Memory per instance on Slurm: a number of megabytes or `500M`, `4G`, `1T`.
    #[serde(default)]
    pub mem: Option<serde_yaml::Value>,
    /// Time limit on Slurm: minutes, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM` or `D-HH:MM:SS`.
    #[serde(default)]
    pub time: Option<serde_yaml::Value>,
    /// GPUs per instance on Slurm (`--gpus`).
    #[serde(default)]
    pub gpus: Option<serde_yaml::Value>,
    /// Slurm partition.
    #[serde(default)]
    pub partition: Option<String>,
    /// Extra `sbatch` arguments, passed as given.
    #[serde(default)]
    pub sbatch: Vec<String>,
}

/// Resources of one instance, checked. `None` means "the run's default".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    pub threads: Option<usize>,
    pub mem_mb: Option<u64>,
    pub time_s: Option<u64>,
    pub gpus: Option<u32>,
    pub partition: Option<String>,
    pub sbatch: Vec<String>,
}

/// The most threads one instance may ask for (a typo guard, not a limit of
/// any machine seqlab knows).
pub(crate) const MAX_THREADS: u64 = 4096;

/// One problem in `resources:`: the field and the message.
pub type Issue = (&'static str, String);

fn whole(v: &serde_yaml::Value) -> Option<u64> {
    v.as_u64()
}

impl ResourcesSpec {
    /// Check every field; the typed resources, or each problem found.
    pub fn check(&self) -> Result<Resources, Vec<Issue>> {
        let mut issues = Vec::new();
        let mut r = Resources {
            partition: self.partition.clone(),
            sbatch: self.sbatch.clone(),
            ..Resources::default()
        };
        if let Some(v) = &self.threads {
            match whole(v) {
                Some(n) if (1..=MAX_THREADS).contains(&n) => r.threads = Some(n as usize),
                _ => issues.push((
                    "threads",
                    format!("`threads` must be a whole number from 1 to {MAX_THREADS}"),
                )),
            }
        }
        if let Some(v) = &self.mem {
            match parse_mem(v) {
                Ok(mb) => r.mem_mb = Some(mb),
                Err(m) => issues.push(("mem", m)),
            }
        }
        if let Some(v) = &self.time {
            let text = match v {
                serde_yaml::Value::Number(n) => n.to_string(),
                serde_yaml::Value::String(s) => s.clone(),
                _ => String::new(),
            };
            match parse_time(&text) {
                Some(s) if s > 0 => r.time_s = Some(s),
                _ => issues.push((
                    "time",
                    format!("cannot read the time limit `{text}`: write minutes, `HH:MM:SS` or `D-HH:MM:SS`"),
                )),
            }
        }
        if let Some(v) = &self.gpus {
            match whole(v) {
                Some(n) if n <= 1024 => r.gpus = Some(n as u32),
                _ => issues.push(("gpus", "`gpus` must be a whole number".to_string())),
            }
        }
        if let Some(p) = &self.partition {
            if p.is_empty() || p.contains(char::is_whitespace) {
                issues.push(("partition", format!("`{p}` is not a partition name")));
            }
        }
        for (i, a) in self.sbatch.iter().enumerate() {
            if !a.starts_with('-') || a.contains('\0') || a.contains('\n') {
                issues.push((
                    "sbatch",
                    format!("sbatch argument {i} (`{a}`) must be one option starting with `-`"),
                ));
            }
        }
        if issues.is_empty() {
            Ok(r)
        } else {
            Err(issues)
        }
    }
}

/// Megabytes from `500`, `500M`, `4G`, `1T`, `2048K`.
pub(crate) fn parse_mem(v: &serde_yaml::Value) -> Result<u64, String> {
    let text = match v {
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::String(s) => s.trim().to_string(),
        _ => String::new(),
    };
    let bad = || format!("cannot read the memory `{text}`: write megabytes, or e.g. `500M`, `4G`");
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text.as_str(), ""),
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let mb = match unit.to_ascii_uppercase().as_str() {
        "K" | "KB" => n.div_ceil(1024),
        "" | "M" | "MB" => n,
        "G" | "GB" => n.checked_mul(1024).ok_or_else(bad)?,
        "T" | "TB" => n.checked_mul(1024 * 1024).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    if mb == 0 {
        return Err(bad());
    }
    Ok(mb)
}

/// Seconds from Slurm's time formats: `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M`,
/// `D-H:M:S`.
pub(crate) fn parse_time(text: &str) -> Option<u64> {
    let text = text.trim();
    let num = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (days, rest) = match text.split_once('-') {
        Some((d, r)) => (Some(num(d)?), r),
        None => (None, text),
    };
    let parts: Vec<u64> = rest.split(':').map(num).collect::<Option<_>>()?;
    let secs = match (days, parts.as_slice()) {
        (None, [m]) => m * 60,
        (None, [m, s]) => m * 60 + s,
        (None, [h, m, s]) => h * 3600 + m * 60 + s,
        (Some(d), [h]) => d * 86_400 + h * 3600,
        (Some(d), [h, m]) => d * 86_400 + h * 3600 + m * 60,
        (Some(d), [h, m, s]) => d * 86_400 + h * 3600 + m * 60 + s,
        _ => return None,
    };
    Some(secs)
}

/// Seconds as Slurm's `D-HH:MM:SS`.
pub(crate) fn format_time(secs: u64) -> String {
    let (d, rem) = (secs / 86_400, secs % 86_400);
    format!(
        "{d}-{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The most retries a stage may ask for.
pub(crate) const MAX_RETRIES: u32 = 20;

#[cfg(test)]
mod tests {
    use super::*;

    fn y(s: &str) -> serde_yaml::Value {
        serde_yaml::from_str(s).unwrap()
    }

    #[test]
    fn memory_units() {
        assert_eq!(parse_mem(&y("500")), Ok(500));
        assert_eq!(parse_mem(&y("500M")), Ok(500));
        assert_eq!(parse_mem(&y("4G")), Ok(4096));
        assert_eq!(parse_mem(&y("1t")), Ok(1024 * 1024));
        assert_eq!(parse_mem(&y("2048K")), Ok(2));
        for bad in ["0", "4X", "G", "-1", "1.5G", "[1]"] {
            assert!(parse_mem(&y(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn slurm_time_formats() {
        assert_eq!(parse_time("90"), Some(5400));
        assert_eq!(parse_time("1:30"), Some(90));
        assert_eq!(parse_time("2:00:00"), Some(7200));
        assert_eq!(parse_time("1-2"), Some(86_400 + 7200));
        assert_eq!(parse_time("1-2:03"), Some(86_400 + 7200 + 180));
        assert_eq!(parse_time("1-02:03:04"), Some(86_400 + 7200 + 184));
        for bad in ["", "1:2:3:4", "a", "1-", "-1", "1.5", "1-2:3:4:5"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert_eq!(format_time(86_400 + 7200 + 184), "1-02:03:04");
        assert_eq!(parse_time(&format_time(123_456)), Some(123_456));
    }

    #[test]
    fn every_problem_is_named() {
        let spec: ResourcesSpec = serde_yaml::from_str(
            "{ threads: 0, mem: 4X, time: soon, gpus: -1, partition: 'a b', sbatch: [qos] }",
        )
        .unwrap();
        let fields: Vec<&str> = spec.check().unwrap_err().iter().map(|i| i.0).collect();
        assert_eq!(
            fields,
            ["threads", "mem", "time", "gpus", "partition", "sbatch"]
        );
        let ok: ResourcesSpec =
            serde_yaml::from_str("{ cpus: 2, mem: 1G, time: 30, gpus: 1 }").unwrap();
        assert_eq!(
            ok.check().unwrap(),
            Resources {
                threads: Some(2),
                mem_mb: Some(1024),
                time_s: Some(1800),
                gpus: Some(1),
                ..Resources::default()
            }
        );
    }
}
