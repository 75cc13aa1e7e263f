"""The ``argonet`` command: ``argonet <command> key=value ...``.

Each sub-command is a module of ``argonet.cli`` with a config dataclass and a ``run(cfg)``;
argonet's own errors print as one line and exit with status 2.
"""

from __future__ import annotations

from importlib import import_module
import sys

from argonet import __version__
from argonet.errors import ArgonetError, interruption, sigterm_as_interrupt

#: command → (module, config class path, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "simulate": ("argonet.cli.simulate", "argonet.conf.sim:SimulateConfig",
                 "simulate LArTPC events into a larcv3 HDF5 file"),
    "display": ("argonet.cli.display", "argonet.conf.display:DisplayConfig",
                "draw the wire planes of one event (charge, truth, predictions) to a PNG"),
    "iotest": ("argonet.cli.iotest", "argonet.conf.data:IotestConfig",
               "read batches exactly as training would and print events/s and MB/s"),
    "train": ("argonet.cli.train", "argonet.conf.classify:TrainCommandConfig",
              "train a classifier (task=classify), pixel segmentation (task=segment) or energy (task=regress)"),
    "inference": ("argonet.cli.inference", "argonet.conf.segment:InferenceConfig",
                  "run a segmentation checkpoint on a file: predictions as larcv3 sparse2d, metrics JSON"),
    "evaluate": ("argonet.cli.evaluate", "argonet.conf.classify:EvaluateConfig",
                 "evaluate a classifier checkpoint: accuracy, confusion matrix, efficiency and purity"),
    "transfer": ("argonet.cli.transfer", "argonet.conf.classify:TransferConfig",
                 "staged transfer learning: baseline, frozen-backbone head, fine-tuning, test reports"),
    "compare": ("argonet.cli.compare", "argonet.conf.compare:CompareConfig",
                "realism report: simulated against real events (DUNE CVN maps, or SBND larcv3 full readouts)"),
    "simtoreal": ("argonet.cli.simtoreal", "argonet.conf.simtoreal:SimToRealConfig",
                  "sim-to-real study on DUNE CVN maps: simulation only, fine-tuned on real, real only"),
    "serve": ("argonet.cli.serve", "argonet.conf.serve:ServeConfig",
              "web front end: run table, live curves, confusion matrices to events, event browser, training jobs"),
    "sweep": ("argonet.cli.sweep", "argonet.conf.sweep:SweepConfig",
              "hyper-parameter search (Optuna) over training configurations: pruning, workers, Pareto fronts"),
    "export": ("argonet.cli.export", "argonet.conf.export:ExportConfig",
               "write a checkpoint's model as ONNX or TorchScript, with its input spec and class names"),
    "explain": ("argonet.cli.explain", "argonet.conf.explain:ExplainConfig",
                "attributions of one event, top-activating events per channel, or a 2-D embedding of a split"),
    "pid": ("argonet.cli.pid", "argonet.conf.pid:PidStudyConfig",
            "particle-identification study (LArIAT single particles): scan, mining, energy, test once"),
}

#: commands whose output appears only when complete (written under a temporary name, then renamed)
ATOMIC_COMMANDS = ("simulate", "display", "iotest", "compare", "inference", "export")

USAGE = """usage: argonet <command> [key=value ...]

commands:
{commands}

Options are dotted overrides, e.g.
  argonet simulate generator=interactions n_events=500 detector=sbnd seed=3 output=events.h5
  argonet display events.h5 event=0
'argonet <command> --help' prints the command's options: value, description, valid choices."""


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"  {name:<{width}}  {help_}" for name, (_, _, help_) in COMMANDS.items()]
    return USAGE.format(commands="\n".join(lines))


def _load(path: str):
    """Import 'module:attr'."""
    return getattr(import_module(path.split(":")[0]), path.split(":")[1])


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help", "--version"):
        try:
            print(f"argonet {__version__}" if argv and argv[0] == "--version" else _usage())
        except BrokenPipeError:      # output piped into e.g. `head`
            pass
        return 0
    command, args = argv[0], argv[1:]
    if command not in COMMANDS:
        from argonet.errors import nearest
        print(f"argonet: error: unknown command {command!r} ({nearest(command, COMMANDS)})", file=sys.stderr)
        return 2
    module_name, schema_path, _ = COMMANDS[command]
    try:
        from argonet.conf.compose import compose
        from argonet.conf.help import help_text, split_help
        from argonet.sim.jit_cache import skip_other_numba_extensions
        skip_other_numba_extensions()   # this process runs argonet's kernels only: ~1 s and 0.14 GB less
        module = import_module(module_name)
        schema = _load(schema_path)
        wants_help, args = split_help(args)
        overrides = getattr(module, "positional_overrides", lambda a: a)(args)
        cfg = compose(command, schema, overrides)
        if wants_help:              # the options with these overrides applied (train task=classify: its sections)
            print(help_text(command, COMMANDS[command][2], cfg))
            return 0
        with sigterm_as_interrupt():
            module.run(cfg)
    except ArgonetError as err:
        print(f"argonet {command}: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:          # output piped into e.g. `head`
        return 0
    except OSError as err:           # output folder missing, a file where a folder should be, no permission
        where = f": {err.filename}" if err.filename else ""
        print(f"argonet {command}: error: {err.strerror or err}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:
        message, status = interruption(err, atomic=command in ATOMIC_COMMANDS)
        print(f"argonet {command}: {message}", file=sys.stderr)
        return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
