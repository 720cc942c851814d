//! Stage kinds: the units of work a pipeline names with `kind:`.
//!
//! Every kind implements [`crate::kind::StageKind`] with one params struct;
//! the engine (planner, cache key, executor) knows nothing else about them,
//! so a new kind is one new file plus one line in [`builtin_registry`].

pub mod automaton;
mod command;
mod common;
pub mod ecg_record;
pub mod evaluate;
mod evaluate_go;
pub mod explain;
pub mod fetch;
pub mod forecast;
pub mod go_terms;
pub mod heartbeats;
pub mod length_generalize;
pub mod pfam;
pub mod prices;
pub mod report;
pub mod summarize;
pub mod timing;
pub mod train;

use std::sync::Arc;

pub use automaton::AutomatonKind;
pub use command::CommandKind;
pub use ecg_record::EcgRecordKind;
pub use evaluate::EvaluateKind;
pub use explain::ExplainKind;
pub use fetch::FetchKind;
pub use forecast::ForecastKind;
pub use go_terms::GoTermsKind;
pub use heartbeats::HeartbeatsKind;
pub use length_generalize::LengthGeneralizeKind;
pub use pfam::PfamKind;
pub use prices::PricesKind;
pub use report::ReportKind;
pub use summarize::SummarizeKind;
pub use timing::TimingKind;
pub use train::TrainKind;

use crate::kind::Registry;

/// All kinds built into seqlab.
pub fn builtin_registry() -> Registry {
    let mut r = Registry::new();
    r.add(Arc::new(CommandKind::new()));
    r.add(Arc::new(AutomatonKind::new()));
    r.add(Arc::new(TrainKind::new()));
    r.add(Arc::new(EvaluateKind::new()));
    r.add(Arc::new(LengthGeneralizeKind::new()));
    r.add(Arc::new(TimingKind::new()));
    r.add(Arc::new(SummarizeKind::new()));
    r.add(Arc::new(ExplainKind::new()));
    r.add(Arc::new(ReportKind::new()));
    r.add(Arc::new(FetchKind::new()));
    r.add(Arc::new(PricesKind::new()));
    r.add(Arc::new(ForecastKind::new()));
    r.add(Arc::new(HeartbeatsKind::new()));
    r.add(Arc::new(EcgRecordKind::new()));
    r.add(Arc::new(PfamKind::new()));
    r.add(Arc::new(GoTermsKind::new()));
    r
}
