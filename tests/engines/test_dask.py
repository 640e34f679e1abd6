"""seedbundle.dask on a real two-worker LocalCluster, reading the shards over loopback HTTP."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dask.bag
import pandas as pd
import pytest
from distributed import Client, LocalCluster

import seedbundle
import seedbundle.dask as sd

from .conftest import Shards
from .loopback import serve

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client


def expected_rows(paths: list[str], rows: list[dict[str, Any]], path: bool = False) -> list[dict[str, Any]]:
    """The fixture rows with the names and, when asked, the paths of the shards that hold them."""
    named: list[dict[str, Any]] = []
    for shard in paths:
        for name in seedbundle.load(shard).names:
            row = {"name": name, **rows[len(named)]}
            named.append({**row, "path": shard} if path else row)
    return named


def with_paths(rows: list[dict[str, Any]], paths: list[str], urls: list[str]) -> list[dict[str, Any]]:
    where = dict(zip(paths, urls, strict=True))
    return [{**row, "path": where[row["path"]]} for row in rows]


def frame_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        dict(zip(frame.columns, values, strict=True))
        for values in zip(*(frame[c].tolist() for c in frame), strict=True)
    ]


def test_bag_of_whole_shards_over_http(client: Client, shards: Shards, http_shards: list[str]) -> None:
    bag = sd.read_bag(http_shards)
    assert bag.npartitions == len(http_shards)
    rows = bag.compute(scheduler=client)
    assert rows == expected_rows(shards.paths, shards.rows)
    assert all(type(row["date"]) is datetime.date for row in rows)


def test_bag_of_byte_ranges_over_http_with_paths(
    client: Client, shards: Shards, http_shards: list[str]
) -> None:
    bag = sd.read_bag(http_shards, blocksize=700, include_path=True)
    assert bag.npartitions > 3 * len(http_shards)
    rows = bag.compute(scheduler=client)
    assert rows == with_paths(expected_rows(shards.paths, shards.rows, path=True), shards.paths, http_shards)


def test_dataframe_whole_and_ranges_over_http(client: Client, shards: Shards, http_shards: list[str]) -> None:
    expected = expected_rows(shards.paths, shards.rows)
    whole = sd.read_dataframe(http_shards)
    ranges = sd.read_dataframe(http_shards, blocksize="1kB")
    assert whole.npartitions == len(http_shards) < ranges.npartitions
    for frame in (whole, ranges):
        assert list(frame.columns) == ["name", "title", "date", "url", "text"]
        assert str(frame.dtypes["date"]) == "date32[day][pyarrow]"
        computed = frame.compute(scheduler=client)
        assert dict(computed.dtypes) == dict(frame.dtypes)
        got = frame_rows(computed)
        assert got == expected
        assert all(type(row["date"]) is datetime.date for row in got)
    late = whole[whole["date"] >= datetime.date(2020, 6, 1)]["title"].compute(scheduler=client).tolist()
    assert late == [row["title"] for row in expected if row["date"] >= datetime.date(2020, 6, 1)]


def test_dataframe_path_column_is_a_category_of_the_urls(
    client: Client, shards: Shards, http_shards: list[str]
) -> None:
    frame = sd.read_dataframe(http_shards, blocksize=2000, include_path_column="source")
    computed = frame.compute(scheduler=client)
    assert list(computed["source"].cat.categories) == http_shards
    expected = with_paths(expected_rows(shards.paths, shards.rows, path=True), shards.paths, http_shards)
    assert computed["source"].tolist() == [row["path"] for row in expected]
    with pytest.raises(ValueError, match="already a column"):
        sd.read_dataframe(http_shards, include_path_column="title")


def test_entry_rows_from_local_paths_and_a_glob(client: Client, shards: Shards) -> None:
    entries = [
        {"name": entry.name, "data": entry.data, "executable": entry.executable}
        for path in shards.paths
        for entry in seedbundle.load(path).entries
    ]
    assert sd.read_bag(shards.paths, kind="entries", blocksize=500).compute(scheduler=client) == entries
    frame = sd.read_dataframe(str(shards.folder / "*.bundle"), kind="entries")
    assert frame.npartitions == len(shards.paths)
    computed = frame.compute(scheduler=client)
    assert str(computed.dtypes["data"]) == "binary[pyarrow]"
    assert frame_rows(computed) == entries
    with pytest.raises(FileNotFoundError, match="no shard matches"):
        sd.read_bag(str(shards.folder / "*.nothing"))


def test_arguments_are_checked_before_anything_runs(shards: Shards) -> None:
    with pytest.raises(ValueError, match="storage_options"):
        sd.read_bag(shards.paths, storage_options={"anon": True})
    with pytest.raises(ValueError, match="blocksize must be a positive int"):
        sd.read_dataframe(shards.paths, blocksize=0)
    with pytest.raises(ValueError, match="kind must be 'articles' or 'entries'"):
        sd.read_bag(shards.paths, kind="rows")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no shards to read"):
        sd.read_dataframe([])
    # '?' begins a URL's query, not a glob; a local file named like a glob is that file.
    assert sd.read_bag("http://127.0.0.1:9/part.bundle?version=2").npartitions == 1
    literal = shards.folder / "odd[1].bundle"
    shutil.copy(shards.paths[0], literal)
    try:
        assert sd.read_bag(str(literal)).count().compute(scheduler="sync") == 25
    finally:
        literal.unlink()


def damaged(shards: Shards, folder: Path, old: bytes, new: bytes) -> str:
    """A copy of the shards in ``folder`` with ``old`` replaced by ``new`` in shard 3; its name."""
    for path in shards.paths:
        shutil.copy(path, folder)
    target = folder / Path(shards.paths[3]).name
    data = target.read_bytes()
    assert data.count(old) == 1
    target.write_bytes(data.replace(old, new))
    return target.name


def test_a_damaged_shard_raises_bundle_decode_error_from_the_workers(
    client: Client, shards: Shards, tmp_path: Path
) -> None:
    bad_row = shards.rows[3 * 25 + 10]
    old = f"{bad_row['date']:%Y%m%d}\n{bad_row['url']}\n".encode()
    name = damaged(shards, tmp_path, old, old.replace(b"\n", b"x\n", 1))
    with serve(tmp_path) as base:
        urls = [f"{base}/{Path(path).name}" for path in shards.paths]
        for blocksize in (None, 800):
            with pytest.raises(seedbundle.BundleDecodeError) as caught:
                sd.read_dataframe(urls, blocksize=blocksize).compute(scheduler=client)
            assert type(caught.value) is seedbundle.BundleDecodeError
            assert f"shard {base}/{name}" in str(caught.value)
            assert "expected the date as YYYYMMDD" in str(caught.value)
            assert caught.value.lineno == 2


def test_the_end_count_is_checked_across_byte_ranges(client: Client, shards: Shards, tmp_path: Path) -> None:
    name = damaged(shards, tmp_path, b"<<<END 25>>>\n", b"<<<END 26>>>\n")
    with serve(tmp_path) as base:
        urls = [f"{base}/{Path(path).name}" for path in shards.paths]
        bag = sd.read_bag(urls, blocksize=600)
        # Each range of the damaged shard reads cleanly on its own; only the sum differs from END.
        spans = seedbundle.byte_ranges(seedbundle.shard_size(urls[3]), 600)
        assert sum(len(seedbundle.read_shard(urls[3], byte_range=span)) for span in spans) == 25
        with pytest.raises(seedbundle.BundleDecodeError) as caught:
            bag.compute(scheduler=client)
        assert type(caught.value) is seedbundle.BundleDecodeError
        assert str(caught.value).startswith(f"shard {base}/{name}: the END marker counts 26 entries")
        # The shards before the damaged one are still read when asked for alone.
        assert len(sd.read_bag(urls[:3], blocksize=600).compute(scheduler=client)) == 75


def test_a_truncated_shard_read_in_ranges(shards: Shards, tmp_path: Path) -> None:
    target = tmp_path / "cut.bundle"
    data = Path(shards.paths[0]).read_bytes()
    target.write_bytes(data[: len(data) // 2])
    with pytest.raises(seedbundle.BundleDecodeError, match=r"cut\.bundle, bytes \d+ to \d+: .*no END marker"):
        sd.read_bag(str(target), blocksize=400).compute(scheduler="sync")


def test_a_shard_that_changes_between_reads_is_reported(shards: Shards) -> None:
    with pytest.raises(RuntimeError, match="changed while it was being read"):
        sd._check_end(shards.paths[0], [(20, None), (4, 25)], None, True)
    sd._check_end(shards.paths[0], [(20, None), (5, 25)], None, True)


def test_write_a_bag_then_read_it_back(client: Client, shards: Shards, tmp_path: Path) -> None:
    rows = [{k: v for k, v in row.items() if k != "path"} for row in shards.rows]
    bag = dask.bag.from_sequence(rows, partition_size=70)
    assert bag.map_partitions(len).compute(scheduler="sync") == [70, 70, 60]
    paths = sd.to_bundles(bag, tmp_path / "out", max_rows=30, compute_kwargs={"scheduler": client})
    assert len(paths) == 3 + 3 + 2
    names = [os.path.basename(path) for path in paths]
    assert names[:2] == ["part-00000-00000.bundle", "part-00000-00001.bundle"]
    assert names == sorted(names)
    assert all(len(seedbundle.load(path).entries) <= 30 for path in paths)
    back = sd.read_bag(str(tmp_path / "out" / "*.bundle")).compute(scheduler=client)
    assert [{k: v for k, v in row.items() if k != "name"} for row in back] == rows


def test_write_a_dataframe_cut_at_max_bytes(client: Client, shards: Shards, tmp_path: Path) -> None:
    frame = sd.read_dataframe(shards.paths, include_path_column=True)
    delayed = sd.to_bundles(
        frame, str(tmp_path / "news-*.bundle"), max_bytes=2000, name_function=lambda n: f"p{n}", compute=False
    )
    paths = delayed.compute(scheduler=client)
    assert len(paths) > len(shards.paths)
    assert all(os.path.basename(path).startswith("news-p") for path in paths)
    assert all(os.path.getsize(path) <= 2000 for path in paths)
    back = sd.read_dataframe(paths).compute(scheduler=client)
    assert [{k: v for k, v in row.items() if k != "name"} for row in frame_rows(back)] == shards.rows


def test_write_a_dataframe_with_datetime_dates_and_entry_rows(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "title": ["A", "B"],
            "date": pd.to_datetime(["2022-01-22", "2023-02-03"]),
            "url": ["https://e.org/a", "https://e.org/b"],
            "text": ["One.\nTwo.", ""],
        }
    )
    import dask.dataframe as dd

    paths = sd.to_bundles(
        dd.from_pandas(frame, npartitions=1), str(tmp_path / "a"), compute_kwargs={"scheduler": "sync"}
    )
    assert seedbundle.read_shard(paths[0]).columns["date"] == [
        datetime.date(2022, 1, 22),
        datetime.date(2023, 2, 3),
    ]
    frame.loc[1, "date"] = pd.Timestamp("2023-02-03 12:00")
    with pytest.raises(seedbundle.BundleEncodeError, match="partition 0: the date column holds times of day"):
        sd.to_bundles(
            dd.from_pandas(frame, npartitions=1), str(tmp_path / "b"), compute_kwargs={"scheduler": "sync"}
        )
    entries = dask.bag.from_sequence([{"name": "bin/run", "data": b"#!/bin/sh\n", "executable": True}])
    (path,) = sd.to_bundles(
        entries, "memory://dask-test/*.bundle", kind="entries", compute_kwargs={"scheduler": "sync"}
    )
    assert path == "memory://dask-test/00000-00000.bundle"
    assert sd.read_bag(path, kind="entries").compute(scheduler="sync") == [
        {"name": "bin/run", "data": b"#!/bin/sh\n", "executable": True}
    ]


def test_a_bad_row_names_its_partition(tmp_path: Path) -> None:
    rows = [{"title": "A", "date": "20220122", "url": "https://e.org/a", "text": ""}] * 3
    bag = dask.bag.from_sequence([*rows, {**rows[0], "date": "2022-01-22"}], npartitions=2)
    with pytest.raises(seedbundle.BundleEncodeError, match=r"^partition 1: row 1: the date must be"):
        sd.to_bundles(bag, tmp_path, compute_kwargs={"scheduler": "sync"})
    with pytest.raises(ValueError, match="same name"):
        sd.to_bundles(bag, tmp_path, name_function=lambda n: "x")
    with pytest.raises(ValueError, match="one '\\*'"):
        sd.to_bundles(bag, str(tmp_path / "a-*-*.bundle"))
    with pytest.raises(ValueError, match="must be in the file name"):
        sd.to_bundles(bag, str(tmp_path / "*" / "a.bundle"))
    with pytest.raises(TypeError, match="a dask bag or a dask DataFrame"):
        sd.to_bundles(rows, tmp_path)  # type: ignore[call-overload]


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, timeout=120
    )


def test_without_dask_the_error_says_what_to_install() -> None:
    result = run_python(
        """
        import sys
        import seedbundle
        assert "dask" not in sys.modules, "import seedbundle imported dask"

        class NoDask:
            def find_spec(self, name, path=None, target=None):
                if name == "dask" or name.startswith("dask."):
                    raise ModuleNotFoundError(f"No module named {name!r}")
                return None

        sys.meta_path.insert(0, NoDask())
        try:
            import seedbundle.dask
        except ImportError as error:
            print(error)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'seedbundle.dask needs Dask: pip install "seedbundle[dask]"'


def test_an_old_dask_is_refused() -> None:
    result = run_python(
        """
        import dask
        dask.__version__ = "2024.12.1"
        try:
            import seedbundle.dask
        except ImportError as error:
            print(error)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        'seedbundle.dask needs Dask 2026.8.0 or later, not 2024.12.1: pip install "seedbundle[dask]"'
    )
    assert sd._version("2026.8.0rc1") == (2026, 8, 0) >= sd.MINIMUM_DASK
