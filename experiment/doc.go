// Package experiment runs the categorical-VAE experiments of this module
// and keeps their results: one training run in a run directory (Train),
// grids of runs over methods, configurations, hyper-parameters and seeds
// (Grid, Sweep), and the tables that compare them (ReadReport).
//
// # Run directories
//
// A run directory holds config.json, checkpoint.safetensors, metrics.jsonl
// (one EpochRecord per line), loss.png and, once the run has reached its
// epochs, summary.json. Train writes them in an order that keeps them
// consistent whatever stops the process (State.Check says what that
// means), holds the directory's lock (LockDir) while it trains, removes the
// temporary files a killed process left, and never replaces a run unless
// asked to (Mode). Resuming gives the same bits as a run that never
// stopped.
//
// # Sweeps
//
// A Grid expands into runs in a canonical order with names derived from
// their parameters (RunName), so every invocation agrees on them; the
// sweep directory's manifest (sweep.json) is the union of every grid run
// there. Sweep trains one shard of a grid on a pool of workers; concurrent
// invocations skip each other's runs.
//
// # Reports
//
// ReadReport groups the finished runs of a sweep directory over seeds and
// selects, per method and configuration, the setting with the lowest mean
// final train loss; Report.Markdown and Report.CSV render it.
package experiment
