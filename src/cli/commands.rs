//! One small function per command: parse → call `ops` → print.

use std::process::ExitCode;

use super::args::{
    BenchWhat, Cli, Command, GraphFormat, IndexWhat, PipelineArgs, SlurmArgs, TextOrJson,
};
use crate::cache::Cache;
use crate::exec::RunOptions;
use crate::kind::Settings;
use crate::ops;
use crate::plan::Plan;

pub(crate) fn dispatch(cli: &Cli) -> anyhow::Result<ExitCode> {
    let registry = crate::stages::builtin_registry();
    let cache = || Cache::open_with_index(&cli.global.cache, cli.global.index.as_deref());
    let plan = |p: &PipelineArgs| -> anyhow::Result<Plan> {
        let limits = crate::spec::Limits {
            max_instances: p.max_instances,
            ..Default::default()
        };
        Ok(ops::load_plan_with(&p.pipeline, &p.sets, &registry, limits)?.1)
    };
    match &cli.command {
        Command::Run {
            pipeline,
            jobs,
            threads,
            dry_run,
            executor,
            slurm,
        } => {
            let plan = plan(pipeline)?;
            let cache = cache()?;
            let _guard = cache.shared_guard()?;
            let mut opts = RunOptions {
                dry_run: *dry_run,
                settings: Settings {
                    backend: pipeline.backend,
                },
                progress: !cli.global.quiet,
                threads: threads.map(|t| t as usize),
                executor: *executor,
                slurm: slurm_options(slurm),
                ..RunOptions::default()
            };
            if let Some(j) = jobs {
                opts.jobs = (*j).max(1);
            }
            let argv = std::env::args().collect::<Vec<_>>().join(" ");
            let report = ops::run::run(&cache, &plan, &pipeline.pipeline, &argv, opts)?;
            if !*dry_run {
                for (instance, text) in ops::run::stage_summaries(&cache, &plan, &report) {
                    println!("\n== {instance} ==\n{text}");
                }
            }
            print!("{}", ops::run::summary(&plan, &report, *dry_run));
            if !*dry_run {
                for dir in ops::run::publish(&cache, &plan, &report)? {
                    let page = dir.join("index.html");
                    println!("report: {}", page.display());
                }
            }
            Ok(if report.success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Status { pipeline, format } => {
            let plan = plan(pipeline)?;
            let rows = ops::status::status(
                &cache()?,
                &plan,
                &Settings {
                    backend: pipeline.backend,
                },
            )?;
            match format {
                TextOrJson::Text => print!("{}", ops::status::render_text(&rows)),
                TextOrJson::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Compare {
            pipeline,
            stage,
            run,
            csv,
        } => {
            let cache = cache()?;
            let table = match run.as_slice() {
                [] => ops::compare::sweep(
                    &cache,
                    &plan(pipeline)?,
                    &Settings {
                        backend: pipeline.backend,
                    },
                    stage,
                )?,
                [a, b] => ops::compare::between_runs(&cache, *a, *b, stage)?,
                _ => anyhow::bail!(
                    "give `--run` exactly twice to compare two runs (ids from `seqlab log`)"
                ),
            };
            print!("{}", table.text());
            if let Some(path) = csv {
                crate::fsutil::write_atomic(path, table.csv().as_bytes())?;
                eprintln!("wrote {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Dag { pipeline, format } => {
            let plan = plan(pipeline)?;
            print!(
                "{}",
                match format {
                    GraphFormat::Text => ops::dag::text(&plan),
                    GraphFormat::Dot => ops::dag::dot(&plan),
                    GraphFormat::Mermaid => ops::dag::mermaid(&plan),
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Log {
            instance,
            limit,
            format,
        } => {
            let rows = ops::history::log(&cache()?, instance.as_deref(), *limit)?;
            match format {
                TextOrJson::Text => print!("{}", ops::history::render_log(&rows)),
                TextOrJson::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { what, format } => {
            let p = ops::history::show(&cache()?, what)?;
            match format {
                TextOrJson::Text => print!("{}", ops::history::render_show(&p)),
                TextOrJson::Json => println!("{}", serde_json::to_string_pretty(&p)?),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            pipeline,
            rerun,
            sets,
            backend,
            format,
        } => {
            let cache = cache()?;
            if let Some(instance) = rerun {
                // Like a run: gc waits for the re-execution's temp dir.
                let _guard = cache.shared_guard()?;
                let path = pipeline
                    .as_ref()
                    .expect("clap requires the pipeline with --rerun");
                let plan = ops::load_plan(path, sets, &registry)?.1;
                let r =
                    ops::verify::rerun(&cache, &plan, instance, &Settings { backend: *backend })?;
                match format {
                    TextOrJson::Text => print!("{}", ops::verify::render_rerun(&r)),
                    TextOrJson::Json => println!("{}", serde_json::to_string_pretty(&r)?),
                }
                return Ok(if r.identical {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                });
            }
            let r = ops::verify::verify_store(&cache)?;
            match format {
                TextOrJson::Text => print!("{}", ops::verify::render_store(&r)),
                TextOrJson::Json => println!("{}", serde_json::to_string_pretty(&r)?),
            }
            Ok(if r.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Bench {
            what:
                BenchWhat::Train {
                    steps,
                    seq_len,
                    models,
                },
        } => {
            let names: Vec<String> = if models.is_empty() {
                ops::bench::MODELS.iter().map(|s| s.to_string()).collect()
            } else {
                models.clone()
            };
            print!("{}", ops::bench::train_speed(*steps, *seq_len, &names)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Index { what } => {
            let cache = cache()?;
            match what {
                IndexWhat::Rebuild => {
                    let r = ops::index::rebuild(&cache)?;
                    print!("{}", ops::index::render_rebuild(&cache, &r));
                    Ok(ExitCode::SUCCESS)
                }
                IndexWhat::Check => {
                    let r = ops::index::check(&cache)?;
                    match &r.problem {
                        None => {
                            println!("{}: ok", r.index);
                            Ok(ExitCode::SUCCESS)
                        }
                        Some(p) => {
                            println!("{}: DAMAGED: {p}\nthe next seqlab command that opens it (or `seqlab verify`) rebuilds it from the result records", r.index);
                            Ok(ExitCode::from(1))
                        }
                    }
                }
            }
        }
        Command::Worker {
            job,
            batch,
            attempt,
            threads,
            progress,
        } => {
            let code = ops::worker::worker(
                &cache()?,
                job.as_deref(),
                batch.as_deref(),
                attempt.as_deref(),
                *threads,
                *progress,
            )?;
            Ok(ExitCode::from(code))
        }
        Command::Kinds { markdown } => {
            print!(
                "{}",
                if *markdown {
                    ops::kinds::markdown(&registry)
                } else {
                    ops::kinds::text(&registry)
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Gc {
            dry_run,
            keep,
            sets,
            backend,
            keep_last,
            since,
            format,
        } => {
            let plans = keep
                .iter()
                .map(|p| Ok(ops::load_plan(p, sets, &registry)?.1))
                .collect::<anyhow::Result<Vec<Plan>>>()?;
            let roots = ops::gc::Roots {
                plans: plans.iter().collect(),
                settings: Settings { backend: *backend },
                keep_last: *keep_last,
                since: *since,
            };
            let r = ops::gc::gc(&cache()?, &roots, *dry_run)?;
            match format {
                TextOrJson::Text => print!("{}", ops::gc::render(&r)),
                TextOrJson::Json => println!("{}", serde_json::to_string_pretty(&r)?),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn slurm_options(a: &SlurmArgs) -> crate::exec::slurm::SlurmOptions {
    use std::time::Duration;
    crate::exec::slurm::SlurmOptions {
        partition: a.slurm_partition.clone(),
        time_s: a.slurm_time,
        mem_mb: a.slurm_mem,
        sbatch: a.slurm_sbatch.clone(),
        array_max: a.slurm_array_max as usize,
        array_throttle: a.slurm_array_throttle.map(|k| k as usize),
        poll_min: Duration::from_secs_f64(a.slurm_poll),
        poll_max: Duration::from_secs_f64(a.slurm_poll_max.max(a.slurm_poll)),
        grace: Duration::from_secs_f64(a.slurm_grace),
    }
}
