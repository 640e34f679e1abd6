"""seedbundle.ray on a real local Ray instance: reading shards as a Dataset, writing a Dataset as shards."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import pyarrow.fs
import pytest
import ray

import seedbundle
from seedbundle._shards import byte_ranges, shard_size
from seedbundle.ray import read_bundles, write_bundles

from .conftest import Shards, article_rows

SRC = Path(__file__).resolve().parents[2] / "src"
ARTICLE_KEYS = ("title", "date", "url", "text")


@pytest.fixture(scope="module", autouse=True)
def ray_instance() -> Iterator[None]:
    # Workers inherit the environment: make them import this seedbundle, not an installed one.
    path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(SRC), *([path] if path else [])])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    context = ray.data.DataContext.get_current()
    kept, context.execution_options.preserve_order = context.execution_options.preserve_order, True
    try:
        yield
    finally:
        context.execution_options.preserve_order = kept
        ray.shutdown()
        if path is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = path


def _articles(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: row[key] for key in ARTICLE_KEYS} for row in rows]


def test_article_rows_equal_the_shards_rows_one_block_per_shard(shards: Shards) -> None:
    dataset = read_bundles(shards.paths).materialize()
    assert dataset.num_blocks() == len(shards.paths)
    assert dataset.schema().names == ["name", "title", "date", "url", "text"]
    assert str(dataset.schema().base_schema.field("date").type) == "date32[day]"
    rows = dataset.take_all()
    assert _articles(rows) == shards.rows
    assert all(type(row["date"]) is datetime.date for row in rows)
    expected_names = [name for path in shards.paths for name in seedbundle.load(path).names]
    assert [row["name"] for row in rows] == expected_names


def test_over_http_with_the_path_column(shards: Shards, http_shards: list[str]) -> None:
    rows = read_bundles(http_shards, include_paths=True).take_all()
    assert _articles(rows) == shards.rows
    per_shard = len(shards.rows) // len(http_shards)
    assert [row["path"] for row in rows] == [url for url in http_shards for _ in range(per_shard)]


def test_byte_ranges_over_http_give_the_same_rows(shards: Shards, http_shards: list[str]) -> None:
    blocksize = 700
    dataset = read_bundles(http_shards, blocksize=blocksize).materialize()
    ranges = sum(len(byte_ranges(shard_size(path), blocksize)) for path in shards.paths)
    assert ranges > 2 * len(shards.paths)  # the shards really were cut
    assert dataset.num_blocks() == ranges
    assert _articles(dataset.take_all()) == shards.rows


def test_a_pyarrow_filesystem_as_ray_readers_take_it(shards: Shards) -> None:
    local = pyarrow.fs.LocalFileSystem()
    dataset = read_bundles(shards.paths, filesystem=local, include_paths=True, blocksize=900)
    rows = dataset.take_all()
    assert _articles(rows) == shards.rows
    assert sorted({row["path"] for row in rows}) == shards.paths
    urls = [f"file://{path}" for path in shards.paths[:2]]  # a URL's scheme, as Ray's readers take it
    assert _articles(read_bundles(urls, filesystem=local).take_all()) == shards.rows[:50]


def test_an_fsspec_filesystem_over_http(shards: Shards, http_shards: list[str]) -> None:
    rows = read_bundles(http_shards, filesystem=fsspec.filesystem("http")).take_all()
    assert _articles(rows) == shards.rows


def test_a_filesystem_and_storage_options_are_refused_together(shards: Shards) -> None:
    with pytest.raises(ValueError, match="either filesystem or storage_options"):
        read_bundles(shards.paths, filesystem=pyarrow.fs.LocalFileSystem(), storage_options={})
    with pytest.raises(TypeError, match=r"filesystem must be a pyarrow\.fs\.FileSystem"):
        read_bundles(shards.paths, filesystem="local")


def test_entry_rows(shards: Shards) -> None:
    rows = read_bundles(shards.paths[:2], kind="entries", include_paths=True).take_all()
    expected = [(entry, path) for path in shards.paths[:2] for entry in seedbundle.load(path).entries]
    assert [(row["name"], row["data"], row["executable"], row["path"]) for row in rows] == [
        (entry.name, entry.data, entry.executable, path) for entry, path in expected
    ]
    assert all(type(row["data"]) is bytes and type(row["executable"]) is bool for row in rows)


def test_override_num_blocks_groups_consecutive_shards(shards: Shards) -> None:
    dataset = read_bundles(shards.paths, override_num_blocks=2).materialize()
    assert dataset.num_blocks() == 2
    assert _articles(dataset.take_all()) == shards.rows


def test_a_block_of_2000_rows_becomes_two_shards_of_1000(tmp_path: Path) -> None:
    rows = article_rows(2000)
    dataset = ray.data.from_items(rows, override_num_blocks=1)
    paths = write_bundles(dataset, tmp_path / "out")
    assert [len(seedbundle.load(path).entries) for path in paths] == [1000, 1000]
    for path in paths:
        names = seedbundle.load(path).names
        assert (names[0][:4], names[-1][:4]) == ("000_", "999_")
    assert _articles(read_bundles(paths).take_all()) == rows


def test_shards_are_named_uniquely_across_write_tasks(tmp_path: Path) -> None:
    rows = article_rows(400)
    dataset = ray.data.from_items(rows, override_num_blocks=4)
    paths = write_bundles(dataset, tmp_path, max_rows_per_file=60)
    tasks = {Path(path).name.split("_")[1] for path in paths}
    assert len(tasks) == 4  # every task wrote shards of its own, and none overwrote another's
    assert len(set(paths)) == len(paths) == len(list(tmp_path.iterdir())) == 4 * 2
    assert sorted(len(seedbundle.load(path).entries) for path in paths) == [40] * 4 + [60] * 4
    assert _articles(read_bundles(paths).take_all()) == rows


def test_writing_to_a_url(tmp_path: Path) -> None:
    rows = article_rows(30)
    paths = write_bundles(ray.data.from_items(rows), f"file://{tmp_path}/out/", max_rows_per_file=20)
    assert all(path.startswith(f"file://{tmp_path}/out/") for path in paths)
    assert sorted(entry.name for entry in (tmp_path / "out").iterdir()) == [Path(path).name for path in paths]
    assert _articles(read_bundles(paths).take_all()) == rows


def test_max_bytes_per_file_cuts_shards(tmp_path: Path) -> None:
    rows = article_rows(120)
    paths = write_bundles(ray.data.from_items(rows), tmp_path, max_bytes_per_file=2000)
    assert len(paths) > 3
    assert all(os.path.getsize(path) <= 2000 for path in paths)
    assert _articles(read_bundles(paths).take_all()) == rows


def test_entry_rows_round_trip(shards: Shards, tmp_path: Path) -> None:
    dataset = read_bundles(shards.paths[:3], kind="entries")
    paths = write_bundles(dataset, tmp_path, kind="entries", comment="copied")
    assert [seedbundle.load(path).comment for path in paths] == ["copied"] * len(paths)
    written = [entry for path in paths for entry in seedbundle.load(path).entries]
    assert written == [entry for path in shards.paths[:3] for entry in seedbundle.load(path).entries]


def test_a_bad_row_stops_the_write_with_its_error(tmp_path: Path) -> None:
    rows = article_rows(3)
    rows[1]["url"] = "not a url"
    dataset = ray.data.from_items(rows, override_num_blocks=1)
    with pytest.raises(
        seedbundle.BundleEncodeError, match="write task 0, row 1: the url must be an absolute URL"
    ):
        write_bundles(dataset, tmp_path / "out")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def _damaged(shards: Shards, folder: Path) -> Path:
    data = Path(shards.paths[0]).read_bytes()
    bad = folder / "damaged.bundle"
    bad.write_bytes(data.replace(b"<<<END 25>>>", b"<<<END 26>>>"))
    return bad


def test_a_damaged_shard_is_a_bundle_decode_error_that_names_it(shards: Shards, tmp_path: Path) -> None:
    bad = _damaged(shards, tmp_path)
    with pytest.raises(seedbundle.BundleDecodeError) as caught:
        read_bundles([shards.paths[1], str(bad)]).materialize()
    message = str(caught.value)
    assert f"shard {bad}: the END marker counts 26 entries but the bundle holds 25" in message
    expected = seedbundle.BundleDecodeError
    with pytest.raises(expected) as direct:
        seedbundle.load(bad)
    assert f"(at line {direct.value.lineno}, column {direct.value.colno})" in message
    # Ray's RayTaskError(BundleDecodeError) wraps the error the task raised, which holds the position.
    assert isinstance(caught.value, ray.exceptions.RayTaskError)
    assert str(caught.value.cause) == f"shard {bad}: {direct.value}"
    assert (caught.value.lineno, caught.value.colno, caught.value.pos) == (
        direct.value.lineno,
        direct.value.colno,
        direct.value.pos,
    )


def test_a_damaged_range_names_the_shard_and_the_range(shards: Shards, tmp_path: Path) -> None:
    data = Path(shards.paths[0]).read_bytes()
    bad = tmp_path / "damaged.bundle"
    cut = data.index(b"<<<FILE ", 1000)
    bad.write_bytes(data[:cut] + b"<<<FOO>>>\n" + data[cut:])
    with pytest.raises(seedbundle.BundleDecodeError) as caught:
        read_bundles(str(bad), blocksize=1000).materialize()
    message = str(caught.value)
    assert f"shard {bad}, bytes 1000 to 2000: " in message
    assert "(at line" in message


def test_importing_seedbundle_does_not_import_ray() -> None:
    code = "import sys, seedbundle; seedbundle.ShardWriter; print('ray' in sys.modules)"
    assert _python(code).stdout.strip() == "False"


def test_without_ray_the_import_error_says_what_to_install() -> None:
    code = """
        import sys
        sys.modules["ray"] = None
        try:
            import seedbundle.ray
        except ImportError as error:
            print(error)
    """
    assert (
        _python(code).stdout.strip()
        == 'seedbundle.ray needs Ray Data: python -m pip install "seedbundle[ray]"'
    )


def test_an_old_ray_is_refused() -> None:
    code = """
        import sys, types
        sys.modules["ray"] = types.SimpleNamespace(__version__="2.59.1")
        try:
            import seedbundle.ray
        except ImportError as error:
            print(error)
    """
    assert _python(code).stdout.strip() == (
        'seedbundle.ray needs Ray 2.60 or newer, not 2.59.1: python -m pip install "seedbundle[ray]"'
    )


def _python(code: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=environment,
    )
