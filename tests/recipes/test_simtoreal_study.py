"""``argonet simtoreal`` end to end on tiny inputs: a simulated larcv3 file and a CVN-layout folder written here.

(Named ``test_simtoreal_command.py``: ``tests/conf/test_simtoreal.py`` already holds the basename ``test_simtoreal``.)
"""

from __future__ import annotations

import json
from pathlib import Path
import zlib

import numpy as np
import pytest
import torch
from torch_threads import one_torch_thread

from argonet.conf.compose import compose
from argonet.cli.main import main
from argonet.conf.simtoreal import SimToRealConfig
from argonet.errors import ConfigError
from argonet.event import Event, ImageMeta, SparseImage, Truth
from argonet.io import Larcv3Writer

CLASSES = ["NUMU_CC", "NUE_CC", "NUTAU_CC", "NC"]
FOLDERS = ["numu", "nue", "nutau", "nc"]
REAL_PER_CLASS = 4
SIM_PER_CLASS = 8
QUICK = ["plots=false", "model.name=smallcnn", "data.downsample=[10,10]", "run.batch_size=4", "run.device=cpu",
         "run.progress=false", "run.tensorboard=false", "pretrain.epochs=1", "finetune.epochs=1", "scratch.epochs=1",
         "per_class=2", "data.split=[0.5,0.25,0.25]"]


def cvn_map(rng: np.random.Generator, flavour: int, shape=(500, 500)) -> np.ndarray:
    """A uint8 map with a track whose length and charge depend on the class, plus random hits."""
    image = np.zeros((3, *shape), np.uint8)
    length = (shape[0] // 12) * (1 + flavour)
    start = int(rng.integers(0, shape[0] - length))
    image[:, start:start + length, shape[1] // 3 + 5 * flavour] = 30 + 40 * flavour
    hits = rng.integers(0, shape[0], (3, 50, 2))
    for plane in range(3):
        image[plane, hits[plane, :, 0], hits[plane, :, 1]] = rng.integers(10, 255, 50)
    return image


def write_real(root: Path, per_class: int = REAL_PER_CLASS, seed: int = 0) -> Path:
    """A DUNE CVN folder in the dataset_info layout: class folders, event<N>.gz, partition JSON, .info."""
    rng = np.random.default_rng(seed)
    for flavour, name in enumerate(FOLDERS):
        folder = root / name
        folder.mkdir(parents=True)
        labels = {}
        for i in range(per_class):
            (folder / f"event{i}.gz").write_bytes(zlib.compress(cvn_map(rng, flavour).tobytes()))
            nc = flavour == 3
            labels[str(i)] = [-1 if nc else 0, flavour, -1 if nc else i % 3, 1, 0, 0, 1]
            info = [13 if nc else 4 * flavour + i % 3, 2.5, 1.2, 0, 0, 0, 1.0, 1 if nc else 14, 1, 0, 0, 1, 0, 0, 0]
            (folder / f"event{i}.info").write_text("\n".join(str(v) for v in info) + "\n")
        (folder / f"partition_{name}.json").write_text(json.dumps(labels))
    return root


def write_sim(path: Path, classes: list[str], per_class: int = SIM_PER_CLASS, shape=(500, 500), seed: int = 1) -> str:
    """A larcv3 file of CVN-shaped simulated maps, ``per_class`` events of each class, interleaved."""
    rng = np.random.default_rng(seed)
    with Larcv3Writer(path, overwrite=True) as writer:
        for _ in range(per_class):
            for name in classes:
                image = cvn_map(rng, CLASSES.index(name) if name in CLASSES else 0, shape)
                planes = [SparseImage.from_dense(ImageMeta(p, shape, (shape[0] * 0.47, shape[1] * 0.3), (0.0, 0.0)),
                                                 image[p].astype(np.float32)) for p in range(3)]
                writer.write(Event(planes, planes, [], truth=Truth(name)))
    return str(path)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> tuple[str, str]:
    """(simulated file, real folder) shared by the tests."""
    root = tmp_path_factory.mktemp("simtoreal_inputs")
    return write_sim(root / "sim.h5", CLASSES), str(write_real(root / "dataset_info"))


@pytest.fixture(scope="module")
def study(inputs, tmp_path_factory):
    """The whole study, as short as it goes; returns (run's result, output folder)."""
    from argonet.recipes.simtoreal import simtoreal as run

    sim, real = inputs
    out = tmp_path_factory.mktemp("simtoreal")
    reference = Path(__file__).parents[2].parent / "shared" / "data" / "dune_cvn" / "reference_outputs"
    cfg = compose("simtoreal", SimToRealConfig, [f"sim={sim}", f"real={real}", f"run.output_dir={out}",
                                                 f"reference={reference}", f"report_dir={out / 'study'}", *QUICK])
    with one_torch_thread():
        return run(cfg), out


def test_three_models_are_tested_on_the_same_disjoint_real_half(study):
    result, out = study
    split = result["split"]
    test, adapt = set(split["test"].tolist()), set(split["adapt"].tolist())
    assert len(adapt) == 2 * 4 and len(test) == (REAL_PER_CLASS - 2) * 4 and not test & adapt
    for name in ("a_real_test", "b_real_test", "c_real_test"):
        rows = (out / name / "predictions.csv").read_text().splitlines()[1:]
        assert {int(r.split(",")[0]) for r in rows} == test
    for key in ("a_sim_only", "b_finetuned", "c_scratch"):
        report = result["results"][key]
        assert np.array(report["confusion"]).sum(axis=1).tolist() == [REAL_PER_CLASS - 2] * 4
        assert report["three_flavour"]["events"] == [REAL_PER_CLASS - 2] * 3
        assert set(report["efficiency"]) == set(CLASSES) and 0.0 <= report["auc"]["NUE_CC"] <= 1.0
    assert result["a_real_all"]["n_events"] == 4 * REAL_PER_CLASS
    assert result["a_sim_test"]["n_events"] == 4 * SIM_PER_CLASS // 4        # data.split test fraction 0.25


def test_finetuning_starts_from_the_simulation_model_and_scratch_does_not(study):
    result, _ = study
    states = {k: torch.load(v, map_location="cpu", weights_only=True) for k, v in result["checkpoints"].items()}
    assert all(s["class_names"] == CLASSES for s in states.values())
    assert states["finetune"]["config"]["model"]["checkpoint"] == str(result["checkpoints"]["pretrain"])
    assert states["scratch"]["config"]["model"]["checkpoint"] is None
    assert states["finetune"]["config"]["data"]["format"] == "cvn"
    assert states["pretrain"]["input_spec"]["image_shape"] == [50, 50]        # 500 / data.downsample 10


def test_report_quotes_the_official_cvn_beside_the_three_models(study):
    _, out = study
    folder = out / "report"
    assert sorted(p.name for p in folder.iterdir()) == ["report.json", "report.md", "report.png"]
    assert (folder / "report.png").read_bytes().startswith(b"\x89PNG")
    text = (folder / "report.md").read_text()
    assert "| (a) simulation only | (b) simulation + real fine-tuning | (c) real only | official DUNE CVN |" in text
    assert "| 93 / 89 / 90 |" in text and "| 0.991 |" in text
    summary = json.loads((folder / "report.json").read_text())
    assert summary["official_cvn"]["nue_auc_from_scores"] == pytest.approx(0.991, abs=5e-4)
    assert sorted(summary["results"]) == ["a_sim_only", "b_finetuned", "c_scratch"]
    assert sorted(summary["real_entries"]["test"]) == summary["real_entries"]["test"]
    for name in ("a_real_all", "a_sim_test", "b_real_test"):
        assert json.loads((out / name / "metrics.json").read_text())["class_names"] == CLASSES
        assert sorted(p.name for p in (out / name).iterdir()) == ["metrics.json", "predictions.csv"]   # plots=false


def test_report_dir_holds_the_study_copy_of_the_report(study):
    _, out = study
    copy, report = out / "study", out / "report"
    assert sorted(p.name for p in copy.iterdir()) == ["report.md", "report.png", "results.json"]
    assert (copy / "results.json").read_bytes() == (report / "report.json").read_bytes()
    assert (copy / "report.png").read_bytes() == (report / "report.png").read_bytes()


def test_compare_reads_the_same_real_halves(study, inputs, tmp_path):
    result, _ = study
    sim, real = inputs
    entries = {}
    for half, seed in (("adapt", 0), ("test", 0), ("adapt", 1)):
        out = tmp_path / f"{half}{seed}"
        assert main(["compare", f"real={real}", f"sim={sim}", f"output_dir={out}", f"real_events={half}",
                     "per_class=2", f"real_seed={seed}", "examples=false"]) == 0
        report = json.loads((out / "report.json").read_text())
        entries[half, seed] = report["inputs"]["real_entries"]
        assert [c["real"]["n_events"] for c in report["classes"].values()] == [2] * 4    # 4 per class: 2 and 2
    assert entries["adapt", 0] == result["split"]["adapt"].tolist()
    assert entries["test", 0] == result["split"]["test"].tolist()
    assert sorted(entries["adapt", 0] + entries["test", 0]) == list(range(4 * REAL_PER_CLASS))
    assert entries["adapt", 1] != entries["adapt", 0]


def test_reused_simulation_model_gives_the_same_real_predictions(study, inputs, tmp_path):
    from argonet.recipes.simtoreal import _pretrained, _Study

    result, out = study
    sim, real = inputs
    checkpoint = result["checkpoints"]["pretrain"]
    cfg = compose("simtoreal", SimToRealConfig, [f"sim={sim}", f"real={real}", f"run.output_dir={tmp_path}",
                                                 f"sim_checkpoint={checkpoint}", *QUICK])
    study_again = _Study(cfg)
    model, path = _pretrained(study_again)
    assert path == checkpoint and not (tmp_path / "pretrain").exists()
    every = np.arange(len(study_again.real))
    probs, labels = study_again.predict(model, study_again.real, every)
    rows = [r.split(",") for r in (out / "a_real_all" / "predictions.csv").read_text().splitlines()[1:]]
    np.testing.assert_allclose(probs, np.array([r[3:] for r in rows], float), atol=1e-5)
    assert [CLASSES[k] for k in labels] == [r[1] for r in rows]
    other = compose("simtoreal", SimToRealConfig, [f"sim={sim}", f"real={real}", f"sim_checkpoint={checkpoint}",
                                                   *QUICK, "data.downsample=[5,5]"])
    with pytest.raises(ConfigError, match=r"^sim_checkpoint: .* holds smallcnn on classes .* with other image_shape, "
                                          r"downsample; this run: smallcnn"):
        _pretrained(_Study(other))


def one_line_error(capsys, args: list[str]) -> str:
    """Run the command, expect exit status 2 and a single stderr line; return it."""
    assert main(["simtoreal", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err, err
    return err


def test_bad_inputs_are_one_line(inputs, tmp_path, capsys):
    sim, real = inputs
    out = [f"run.output_dir={tmp_path / 'out'}", *QUICK]
    two = write_sim(tmp_path / "two.h5", ["NUMU_CC", "NC"], per_class=2)
    assert "simulated events per class {'NUMU_CC': 2, 'NUE_CC': 0, 'NUTAU_CC': 0, 'NC': 2}; the study needs all " \
           "four CVN classes" in one_line_error(capsys, [f"sim={two}", f"real={real}", *out])
    other = write_sim(tmp_path / "sbnd.h5", ["CCQE", "NCQE"], per_class=1)
    assert "class 'CCQE' is not one of the configured classes" in one_line_error(capsys, [f"sim={other}",
                                                                                         f"real={real}", *out])
    err = one_line_error(capsys, [f"sim={sim}", f"real={tmp_path / 'nowhere'}", *out])
    assert err.startswith("argonet simtoreal: error: real: ") and "is not a folder" in err
    assert "sim: no simulated file" in one_line_error(capsys, [f"sim={tmp_path / 'none*.h5'}", f"real={real}", *out])
    assert "real: name the real CVN folder" in one_line_error(capsys, [f"sim={sim}", *out])
    small = write_sim(tmp_path / "small.h5", CLASSES, per_class=1, shape=(100, 100))
    assert "simulated maps are (3, 10, 10) after data.downsample/data.crop, the real ones (3, 50, 50)" in \
        one_line_error(capsys, [f"sim={small}", f"real={real}", *out])
    assert "per_class=4: class NUMU_CC has 4 events" in one_line_error(capsys, [f"sim={sim}", f"real={real}", *out,
                                                                                "per_class=4"])
    assert not (tmp_path / "out").exists()
