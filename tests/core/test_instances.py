"""Instance files: round trip, unknown keys, and every malformed input refused with a typed error."""

import numpy as np
import pytest

from spurious.core._errors import InputError, InstanceFileError, SpuriousError, TooLargeError
from spurious.core._instances import FORMAT_VERSION, Instance, load_instance, save_instance
from spurious.core._linalg import sym
from spurious.core._operators import from_matrices, gaussian


def _arrays(rng=None, m=5, n=3, r=2):
    rng = np.random.default_rng(0) if rng is None else rng
    return {
        "A": sym(rng.standard_normal((m, n, n))),
        "z": rng.standard_normal((n, r)),
        "x": rng.standard_normal((n, r)),
        "b": rng.standard_normal(m),
        "format": np.int64(FORMAT_VERSION),
        "scaling": np.str_("half"),
    }


def _write(tmp_path, name="inst.npz", **arrays):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def test_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    op = gaussian(6, 3, rng=rng)
    inst = Instance(
        op,
        rng.standard_normal((3, 2)),
        rng.standard_normal((3, 2)),
        rng.standard_normal(6),
        "mean",
        {"method": "eigh", "eta": 0.25, "trials": 7},
    )
    path = save_instance(tmp_path / "a.npz", inst)
    assert path.is_file() and not list(tmp_path.glob("*.tmp*"))
    back = load_instance(path)
    np.testing.assert_allclose(back.operator.matrix, op.matrix, atol=1e-15)
    assert back.operator.n == 3 and back.operator.m == 6
    np.testing.assert_array_equal(back.z, inst.z)
    np.testing.assert_array_equal(back.x, inst.x)
    np.testing.assert_array_equal(back.b, inst.b)
    assert back.scaling == "mean"
    assert back.metadata == {"method": "eigh", "eta": 0.25, "trials": 7}
    x = inst.x
    assert float(back.problem().value(x)) == pytest.approx(float(inst.problem().value(x)), rel=1e-13)
    with np.load(path, allow_pickle=False) as data:
        assert int(data["format"]) == FORMAT_VERSION
        assert data["A"].shape == (6, 3, 3)


def test_round_trip_minimal(tmp_path):
    op = from_matrices(np.stack([np.eye(2), np.ones((2, 2))]))
    back = load_instance(save_instance(tmp_path / "m.npz", Instance(op, np.array([[1.0], [0.0]]))))
    assert back.x is None and back.b is None and back.scaling == "plain" and back.metadata == {}
    p = back.problem()
    assert p.r == 1
    np.testing.assert_allclose(p.loss.b, op.apply(np.array([[1.0, 0.0], [0.0, 0.0]])))


def test_minimal_file_defaults(tmp_path):
    a = _arrays()
    inst = load_instance(_write(tmp_path, A=a["A"], z=a["z"]))
    assert inst.scaling == "plain" and inst.x is None and inst.b is None


def test_unknown_keys_ignored(tmp_path):
    a = _arrays()
    path = _write(
        tmp_path,
        **a,
        notes=np.str_("from a stranger"),
        seed=np.int64(3),
        big=np.ones((4, 4)),
        labels=np.array(["a", "b"]),
    )
    inst = load_instance(path)
    assert inst.metadata == {"notes": "from a stranger", "seed": 3}
    assert inst.scaling == "half"


def test_object_arrays_refused(tmp_path):
    a = _arrays()
    z = np.empty(3, dtype=object)
    z[:] = [1.0, 2.0, 3.0]
    a["z"] = z
    path = _write(tmp_path, **a)  # np.savez pickles object arrays
    with pytest.raises(InstanceFileError, match=r"inst\.npz"):
        load_instance(path)


def test_missing_file(tmp_path):
    with pytest.raises(InstanceFileError, match=r"nope\.npz: no such file"):
        load_instance(tmp_path / "nope.npz")


def test_not_an_npz(tmp_path):
    path = tmp_path / "junk.npz"
    path.write_bytes(b"this is not a zip file")
    with pytest.raises(InstanceFileError, match=r"junk\.npz: not an \.npz or \.npy file"):
        load_instance(path)


def test_no_A(tmp_path):
    a = _arrays()
    del a["A"]
    with pytest.raises(InstanceFileError, match="no array 'A'"):
        load_instance(_write(tmp_path, **a))


def test_no_z(tmp_path):
    a = _arrays()
    del a["z"]
    with pytest.raises(InstanceFileError, match="no array 'z'"):
        load_instance(_write(tmp_path, **a))


@pytest.mark.parametrize("key", ["A", "z", "x", "b"])
def test_string_dtype_refused(tmp_path, key):
    a = _arrays()
    a[key] = a[key].astype(str)
    with pytest.raises(InstanceFileError, match=f"'{key}' has non-numeric dtype"):
        load_instance(_write(tmp_path, **a))


@pytest.mark.parametrize("key", ["A", "z", "x", "b"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_refused(tmp_path, key, bad):
    a = _arrays()
    a[key] = a[key].copy()
    a[key].flat[1] = bad
    with pytest.raises(InstanceFileError, match=f"inst.npz: {key}: contains NaN or inf"):
        load_instance(_write(tmp_path, **a))


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("z", np.ones((4, 1)), "z: has 4 rows, expected n = 3"),
        ("x", np.ones((2, 2)), "x: has 2 rows, expected n = 3"),
        ("b", np.ones(4), "b has length 4, expected m = 5"),
        ("z", np.ones((3, 4)), "z: rank r = 4 exceeds n = 3"),
        ("x", np.ones((3, 5)), "x: rank r = 5 exceeds n = 3"),
        ("A", np.ones((5, 3, 2)), "must be square"),
        ("A", np.ones((5, 9)), "A: expected 3 dimensions"),
        ("A", np.ones((0, 3, 3)), "empty operator"),
        ("z", np.ones((3, 2, 1)), "z: expected 1 or 2 dimensions"),
        ("b", np.ones((5, 1)), "b: expected 1 dimensions"),
        ("scaling", np.str_("twice"), "scaling = 'twice'"),
        ("format", np.int64(FORMAT_VERSION + 1), "newer than this version"),
        ("format", np.str_("one"), "'format' must be an integer"),
        ("format", np.array([1, 2]), "'format' must be an integer"),
    ],
)
def test_malformed_entries(tmp_path, key, value, message):
    a = _arrays()
    a[key] = value
    with pytest.raises(InstanceFileError, match=r"inst\.npz") as info:
        load_instance(_write(tmp_path, **a))
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, InputError) and isinstance(info.value, SpuriousError)


def test_non_symmetric_A_is_symmetrized(tmp_path):
    a = _arrays()
    a["A"] = np.random.default_rng(2).standard_normal((5, 3, 3))
    inst = load_instance(_write(tmp_path, **a))
    assert inst.operator.symmetrized
    np.testing.assert_allclose(inst.operator.matrices(), sym(a["A"]), atol=1e-15)


def test_save_refuses_huge(tmp_path):
    op = gaussian(10, 3, rng=0)
    with pytest.raises(TooLargeError, match="writing 10 dense 3×3"):
        save_instance(tmp_path / "h.npz", Instance(op, np.ones((3, 1))), max_bytes=100)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("key", ["A", "z", "x", "b", "format", "scaling"])
def test_save_refuses_reserved_metadata_keys(tmp_path, key):
    op = gaussian(4, 2, rng=0)
    with pytest.raises(InputError, match=f"metadata key '{key}'"):
        save_instance(tmp_path / "r.npz", Instance(op, np.ones((2, 1)), metadata={key: 1}))
    assert not list(tmp_path.iterdir())
