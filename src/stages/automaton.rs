//! `automaton`: train and test splits for one synthetic automaton (Liu et al.
//! 2023; exact semantics in `datasets::automata`), as `.npy` plus `task.json`.
//!
//! The test split always carries every label (sparse supervision, `p_reveal`,
//! is a training condition) and uses its own seed stream, so it never shares
//! rows with the training split. Its params ([`AutomatonParams`]) are the
//! data set's description in `task.json` too, so they live in the contract.

use crate::datasets::automata::try_generate;
use crate::datasets::SequenceData;
use crate::kind::task::{AutomatonParams, AutomatonTask};
use crate::kind::{ParamSchema, RunContext, StageKind, TaskInfo};

/// Offset between the training and test seeds.
const TEST_SEED_OFFSET: u64 = 0x5EED_7E57;

pub struct AutomatonKind {
    schema: ParamSchema,
}

impl AutomatonKind {
    pub fn new() -> Self {
        AutomatonKind {
            schema: ParamSchema::of::<AutomatonParams>(),
        }
    }
}

impl Default for AutomatonKind {
    fn default() -> Self {
        Self::new()
    }
}

impl StageKind for AutomatonKind {
    fn name(&self) -> &'static str {
        "automaton"
    }

    fn version(&self) -> u32 {
        1
    }

    fn schema(&self) -> &ParamSchema {
        &self.schema
    }

    fn run(&self, ctx: &RunContext<'_>) -> anyhow::Result<()> {
        let p: AutomatonParams = ctx.params()?;
        let task = p.task()?;
        let train_cfg = p.gen_config(p.p_reveal);
        let test_cfg = p.gen_config(1.0);
        let test_seed = p.seed.wrapping_add(TEST_SEED_OFFSET);
        let err = |e| anyhow::anyhow!("{e}");
        ctx.progress.update(0, 2, "generating");
        if !p.fresh {
            let train = try_generate(&task, p.train_size, &train_cfg, p.seed).map_err(err)?;
            SequenceData::from_samples(train).save(ctx.out_dir, "train")?;
        }
        ctx.progress.update(1, 2, "generating");
        let test = try_generate(&task, p.test_size, &test_cfg, test_seed).map_err(err)?;
        SequenceData::from_samples(test).save(ctx.out_dir, "test")?;
        TaskInfo::Automaton(AutomatonTask {
            n_states: task.n_states(),
            n_actions_vocab: task.n_actions(),
            test_seed,
            params: p,
        })
        .write(ctx.out_dir)
    }
}
