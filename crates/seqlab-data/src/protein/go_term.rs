//! Gene Ontology identifiers and aspects (sub-ontologies).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A GO term id, `GO:` followed by exactly 7 digits, stored as its number.
/// Ordering is numeric, which equals the lexicographic order of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GoId(u32);

impl GoId {
    /// Parses `GO:` + exactly 7 ASCII digits (no surrounding whitespace).
    pub fn parse(s: &str) -> Option<GoId> {
        let digits = s.strip_prefix("GO:")?;
        if digits.len() != 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(GoId)
    }

    /// The id with this number (`GoId::from_number(5737)` is `GO:0005737`).
    /// `None` above 9,999,999.
    pub fn from_number(n: u32) -> Option<GoId> {
        (n <= 9_999_999).then_some(GoId(n))
    }

    /// The numeric part.
    pub fn number(self) -> u32 {
        self.0
    }

    /// The hint shown when an id does not parse.
    pub(crate) const FORMAT_HINT: &'static str =
        "a GO id is `GO:` followed by exactly 7 digits, e.g. GO:0005737";
}

impl fmt::Display for GoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GO:{:07}", self.0)
    }
}

impl FromStr for GoId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GoId::parse(s).ok_or_else(|| format!("`{s}` is not a GO id ({})", GoId::FORMAT_HINT))
    }
}

impl Serialize for GoId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GoId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A GO aspect (CAFA calls them ontologies): biological process,
/// cellular component, molecular function. The order (BPO, CCO, MFO) is the
/// order used for label columns and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Aspect {
    /// Biological process (`BPO`, `P`, `biological_process`).
    Bpo,
    /// Cellular component (`CCO`, `C`, `cellular_component`).
    Cco,
    /// Molecular function (`MFO`, `F`, `molecular_function`).
    Mfo,
}

impl Aspect {
    /// All three, in report order.
    pub const ALL: [Aspect; 3] = [Aspect::Bpo, Aspect::Cco, Aspect::Mfo];

    /// Parses a CAFA code (`BPO`, `CCO`, `MFO`) or a Swiss-Prot / GAF
    /// letter (`P`, `C`, `F`). Case-sensitive, as in the files.
    pub(crate) fn from_code(s: &str) -> Option<Aspect> {
        match s {
            "BPO" | "P" => Some(Aspect::Bpo),
            "CCO" | "C" => Some(Aspect::Cco),
            "MFO" | "F" => Some(Aspect::Mfo),
            _ => None,
        }
    }

    /// Parses an OBO namespace (`biological_process`, ...).
    pub(crate) fn from_namespace(s: &str) -> Option<Aspect> {
        match s {
            "biological_process" => Some(Aspect::Bpo),
            "cellular_component" => Some(Aspect::Cco),
            "molecular_function" => Some(Aspect::Mfo),
            _ => None,
        }
    }

    /// The CAFA code: `BPO`, `CCO` or `MFO`.
    pub fn code(self) -> &'static str {
        match self {
            Aspect::Bpo => "BPO",
            Aspect::Cco => "CCO",
            Aspect::Mfo => "MFO",
        }
    }

    /// The OBO namespace name.
    pub fn namespace(self) -> &'static str {
        match self {
            Aspect::Bpo => "biological_process",
            Aspect::Cco => "cellular_component",
            Aspect::Mfo => "molecular_function",
        }
    }

    /// The root term of this aspect in GO.
    pub fn root(self) -> GoId {
        match self {
            Aspect::Bpo => GoId(8150),
            Aspect::Cco => GoId(5575),
            Aspect::Mfo => GoId(3674),
        }
    }

    /// Index 0..3 in [`Aspect::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Aspect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
