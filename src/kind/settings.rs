//! Execution settings that can change a kind's results (the tensor backend):
//! a kind lists the ones it depends on, and only those enter its cache key.

/// The tensor backend (`--backend`): bits differ between backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Backend {
    // burn's CPU backend (burn-flex). Plain comments: documented values
    // would switch every command's `--help` to the long layout.
    #[default]
    Flex,
    // An NVIDIA GPU (builds with `--features cuda` only).
    Cuda,
}

impl Backend {
    /// The name in the cache key and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Flex => "flex",
            Backend::Cuda => "cuda",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A setting a kind may depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Setting {
    /// The tensor backend.
    Backend,
}

impl Setting {
    /// The setting's name in the cache key.
    pub fn name(self) -> &'static str {
        match self {
            Setting::Backend => "backend",
        }
    }
}

/// Values of the settings for one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub backend: Backend,
}

impl Settings {
    /// The value of `s`, as the cache key records it.
    pub fn value(&self, s: Setting) -> &'static str {
        match s {
            Setting::Backend => self.backend.as_str(),
        }
    }
}
