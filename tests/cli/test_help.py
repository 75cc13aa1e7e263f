"""``argonet <command> --help``: every option with a one-line description and its choices, only the task's sections."""

from __future__ import annotations

import pytest

from argonet.cli.main import COMMANDS, main


def _help(capsys, *args: str) -> str:
    assert main([*args, "--help"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_has_a_help_page(command, capsys):
    text = _help(capsys, command)
    assert text.startswith(f"argonet {command}: {COMMANDS[command][2]}\n")
    options = [line for line in text.splitlines()[2:] if not line.endswith(":")]
    described = [line for line in options if "  # " in line]
    assert len(options) >= 5 and len(described) / len(options) > 0.6, text


def test_train_help_describes_options_with_their_choices(capsys):
    text = _help(capsys, "train", "task=classify")
    lines = {line.split(":")[0].strip(): line for line in text.splitlines()}
    assert "# classify (event class) | segment (class of every pixel)" in lines["task"]
    assert lines["amp"].split("#")[1].strip() == "auto | bf16 | fp16 | off"
    assert "# sgd | adamw" in text and "# path, glob pattern, or list of paths" in lines["file"]


def test_train_help_shows_only_the_sections_of_the_task(capsys):
    classify = _help(capsys, "train", "task=classify")
    assert "uresnet:" not in classify and "\nloss:" not in classify and "\nrun:" in classify
    segment = _help(capsys, "train", "task=segment")
    assert "\nuresnet:" in segment and "\nloss:" in segment and "  depth: 6" in segment


def test_one_key_per_setting(capsys):
    assert "batch_size: 32" in _help(capsys, "train") and "  batch_size: 16" not in _help(capsys, "train")
    assert "num_workers" not in _help(capsys, "train")
    for args, kept in ((["train", "data.batch_size=8"], "run.batch_size"),
                       (["train", "run.num_workers=2"], "data.workers"),
                       (["evaluate", "data.batch_size=8"], "batch_size"),
                       (["iotest", "data.batch_size=8"], "run.minibatch_size")):
        assert main(args) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err
        assert err.endswith(f"is not an option of argonet {args[0]}: set {kept} (one key per setting)")


def test_simulate_help_shows_every_generator_with_its_options(capsys):
    default = _help(capsys, "simulate")
    chosen = default[:default.index("\nphysics:")]
    assert "  classes: [CCQE, CCRES, NCQE, NCRES]" in chosen and "particles" not in chosen
    assert "  neutrons: false" in chosen and "# follow neutrons" in chosen          # inherited field, described
    others = default[default.index("other choices of generator=<name>"):]
    for name in ("gun", "cosmics", "jets", "dune"):
        assert f"\ngenerator={name}:" in others
    assert "  particles: [e-, gamma, mu-, pi-, p]" in others and "    pixels: 20" in others
    assert "\n  fiducial_margin_cm" not in others                  # shared with interactions: shown once, above
    gun = _help(capsys, "simulate", "generator=gun", "generator.ke_MeV_max=300")
    assert "  ke_MeV_max: 300.0" in gun[:gun.index("\nphysics:")]
    assert "\ngenerator=interactions:" in gun and "  classes: [CCQE, CCRES, NCQE, NCRES]" in gun
