"""Running experiments: the one run lifecycle and what it drives, just below the commands.

* `labkit.runs.lifecycle`: options, run directory, identity, config.toml, tasks, status, trackers, output;
* `labkit.runs.tasks`: the one resume loop (`run_tasks`) and its backends (joblib, Dask);
* `labkit.runs.compare`: ``labkit compare``'s tasks and tables (augmenters × seeds × folds);
* `labkit.runs.reproduce`: the registry of ``labkit reproduce`` experiments (`labkit.reproductions`);
* `labkit.runs.tracking`: ``--log mlflow|tensorboard``.

Nothing below this package imports it; import the submodules directly.
"""
