"""Measure the generator and MkDocs on synthetic surveys of growing size.

    python benchmarks/scale.py                          # 1,000 and 10,000 papers
    python benchmarks/scale.py --sizes 1000,10000,100000 --mkdocs-max 10000
    python benchmarks/scale.py --sizes 10000 --profile /tmp/generate-10k.prof
    python benchmarks/scale.py --sizes 100000 --mkdocs-max 0 --timeout 900   # stages as far as they get
    python benchmarks/scale.py --commit HEAD     # the committed generator, not edits in progress

For each size it makes a survey (benchmarks/synthetic.py) in a temporary folder and runs, each
as its own process so that wall time, CPU time and peak memory belong to one step (peak memory:
ru_maxrss from wait4, or, where the step forks copies of itself to share work, the largest sum of
the proportional set sizes of it and its copies, sampled every 50 ms in a second run of the same
step: reading those sizes walks the processes' memory maps, which slowed a 10,000-paper
`survey generate` by 9 %, so times come from the run that is not sampled):

1. `survey generate` into an empty docs folder;
2. the generator's stages in-process, timed one by one as `generator/build.py` calls them;
3. `mkdocs build` (strict, as configured);
4. `survey build` from scratch (no docs/, no site/): the figure the issue sets targets for;
5. at the smallest size: `survey generate` again with nothing changed and after one paper's
   abstract changed, both as a new process and in-process (as `survey serve` does).

The generator's modules are byte-compiled first, as `pip install` compiles a package's modules
(and as MkDocs' are): where PYTHONDONTWRITEBYTECODE is set, as on the machine of the README's
figures, an editable install's modules were otherwise compiled from source by every run.

The machine is shared: CPU time (user + system) is printed beside wall time, and the load
average before each size, so a noisy figure can be told from a slow one.
"""

from __future__ import annotations

import argparse
import compileall
import gc
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synthetic import make_survey  # noqa: E402

STAGES = ("imports", "load", "overrides", "validate", "featurize", "sections", "keywords", "related", "layout", "render", "write")


def _bin(name: str) -> str:
    """Return a console script of this interpreter's environment."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


# Set by --commit: children import the generator from a snapshot, not the working tree.
CHILD_ENV = dict(os.environ, NO_MKDOCS_2_WARNING="1")
CONFIG = HERE.parent / "mkdocs.yml"


def snapshot(ref: str, work: Path) -> Path:
    """Export generator/ and site_templates/ at a commit, so edits in progress do not leak in."""
    target = work / f"src-{ref}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", ref, "generator", "site_templates", "mkdocs.yml"], cwd=HERE.parent, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def byte_compile(source: Path) -> None:
    """Compile the generator's modules to bytecode beside them (`__pycache__`), as an install does."""
    if not compileall.compile_dir(source / "generator", quiet=1):
        raise SystemExit(f"cannot byte-compile {source / 'generator'}")


TIMEOUT: float | None = None  # set by --timeout


def _pss_mb(pid: int) -> float:
    """Return a process's proportional set size: its private memory and its share of shared pages."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            return next((int(line.split()[1]) / 1024 for line in rollup if line.startswith("Pss:")), 0.0)
    except OSError:
        return 0.0


def tree_pss(pid: int) -> float:
    """Return the summed PSS of a process and all its descendants, in MB (0 where /proc has none)."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        total += _pss_mb(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as children:
                    pending += [int(child) for child in children.read().split()]
        except OSError:
            pass
    return total


def run(command: list[str], cwd: Path, log: Path, fresh: Callable[[], None] | None = None) -> dict:
    """Run one process; return its wall time, CPU time, peak memory and exit code.

    With `fresh`, the step forks copies of itself: `fresh()` puts its folder back as it was, and
    the step runs a second time, its process tree's memory sampled, for the peak.
    """
    if fresh is not None:
        fresh()
    timed = _run(command, cwd, log, sampled=False)
    if fresh is not None and not timed.get("timeout"):
        fresh()
        timed["peak_mb"] = max(timed["peak_mb"], _run(command, cwd, log, sampled=True)["peak_mb"])
    return timed


def _emptied(*folders: Path) -> Callable[[], None]:
    """Return what removes these folders, so that a step starts from scratch again."""

    def empty() -> None:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)

    return empty


def _run(command: list[str], cwd: Path, log: Path, sampled: bool) -> dict:
    with open(log, "wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=CHILD_ENV)
        timed_out = False
        tree_peak = 0.0
        while True:
            # wait4 gives this child's own rusage, where RUSAGE_CHILDREN would mix all children.
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if TIMEOUT and time.perf_counter() - start > TIMEOUT and not timed_out:
                process.kill()
                timed_out = True
            if sampled:
                tree_peak = max(tree_peak, tree_pss(process.pid))
            time.sleep(0.05)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if timed_out:
        return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": max(usage.ru_maxrss / 1024, tree_peak), "timeout": True, "output": []}
    if process.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"{' '.join(command)} failed with {process.returncode}:\n{tail}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        # The process's own peak (Linux reports KiB), or, when it forked copies to share the
        # work, the largest sum over it and its copies (their proportional set sizes, sampled).
        "peak_mb": max(usage.ru_maxrss / 1024, tree_peak),
        "output": log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:],
    }


def stage_child(folder: Path, changed: bool) -> None:
    """Time each stage of `generate` in this process and print one JSON line (run as a child)."""
    start, start_cpu = time.perf_counter(), time.process_time()
    from generator.cli import one_thread_blas

    one_thread_blas()  # as the `survey` command does, before NumPy is imported
    from generator import build, workers
    from generator.features import featurize
    from generator.keywords import paper_keywords
    from generator.layout import layout
    from generator.load import load_overrides, load_papers, load_published
    from generator.pages import page_files
    from generator.project import open_project
    from generator.related import related_papers
    from generator.render import asset_files, environment
    from generator.sections import assign_sections
    from generator.validate import duplicates, validate
    from generator.write import staging, write_docs

    # As `generate` does (generator/build.py): the cycle collector runs less often.
    gc.set_threshold(getattr(build, "GC_THRESHOLD", 700), *gc.get_threshold()[1:])

    def timed(name, function, *args):
        start, start_cpu = time.perf_counter(), time.process_time()
        value = function(*args)
        times[name] = time.perf_counter() - start
        cpu[name] = time.process_time() - start_cpu
        peaks[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # One line per stage, so a run stopped by a timeout still tells how far it got.
        print(f"stage {name}: {times[name]:.2f} s ({cpu[name]:.2f} cpu), peak {peaks[name]:.0f} MB", file=sys.stderr, flush=True)
        return value

    times: dict[str, float] = {"imports": time.perf_counter() - start}
    cpu: dict[str, float] = {"imports": time.process_time() - start_cpu}
    imports = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peaks: dict[str, float] = {"imports": imports}
    project = open_project(folder)
    papers, _, _ = timed("load", load_papers, project.content, project.root)
    overrides, _ = timed("overrides", load_overrides, project.content, project.root)
    published = load_published(project.content, project.root)
    # A build looks for duplicates in a copy meanwhile (build._generate); here they are timed with the other checks.
    timed("validate", lambda: validate(papers, overrides, published) + duplicates(papers, published))
    included = [p for p in papers if p.key not in overrides.exclude]
    features = timed("featurize", featurize, included, overrides.stop_words, overrides.keywords())
    sections, placements = timed("sections", assign_sections, included, features, overrides)
    keywords = timed("keywords", paper_keywords, features)
    related = timed("related", related_papers, features)
    coordinates = timed("layout", layout, features, sections)
    survey = build.Survey(papers=tuple(included), sections=tuple(sections), paper_keywords=keywords, related=related, placements=tuple(placements), coordinates=coordinates)

    scratch = Path(tempfile.mkdtemp(prefix="docs-", dir=folder))

    def render_all(into):
        processes = workers.available() if len(survey.papers) >= build.PARALLEL_FROM else 1  # as generate does
        return {**dict(page_files(environment(project.root, project.settings), survey, overrides, processes=processes, into=into)), **asset_files(project.root)}

    with staging(scratch) as into:  # as generate does: pages go to disk as they are made
        files = timed("render", render_all, into)
        docs_bytes = sum(v.size if hasattr(v, "size") else len(v) for v in files.values())
        timed("write", write_docs, scratch, files)
    shutil.rmtree(scratch)
    result = {
        "times": times,
        "cpu": cpu,
        "peaks": peaks,
        "imports_mb": imports,
        "features": list(features.matrix.shape),
        "nnz": int(features.matrix.nnz),
        "files": len(files),
        "docs_bytes": docs_bytes,
    }
    if changed:  # what `survey serve` does after one edit: generate again in a warm process
        build.generate(project, serving=True)  # serve's first build, which remembers
        start = time.perf_counter()
        build.generate(project)
        result["warm_unchanged"] = time.perf_counter() - start
        _edit_one(folder)
        from generator.progress import Progress

        progress = Progress()
        start = time.perf_counter()
        report = build.generate(project, progress).report
        result["warm_changed"] = time.perf_counter() - start
        result["warm_changed_written"] = len(report.written)
        result["warm_changed_stages"] = {timing.stage: round(timing.wall, 3) for timing in progress.timings}
    print(json.dumps(result))


def _edit_one(folder: Path) -> Path:
    """Change one paper's abstract, as a contributor's edit would: a sentence more, in the survey's
    own words (the first sentence of the next paper's abstract), so that the paper's terms change,
    and with them the weights of every paper that shares one of those terms.

    (An edit in words no other paper uses, or only in stop words, leaves every paper's features
    as they were: it measured less of the analysis than a real edit needs.)
    """
    files = sorted((folder / "content" / "papers").glob("*.yaml"))
    path, donor = files[len(files) // 2], files[len(files) // 2 + 1]
    words = donor.read_text(encoding="utf-8").split("abstract: >-", 1)[1].split(".")[0].split()
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + " " + " ".join(words) + ", edited at " + str(time.time_ns()) + ".\n", encoding="utf-8")
    return path


def folder_size(folder: Path) -> tuple[int, int]:
    """Return the bytes and the number of files under a folder."""
    total = count = 0
    for path in folder.rglob("*"):
        if path.is_file():
            total += path.stat().st_size
            count += 1
    return total, count


def largest_pages(site: Path, count: int = 3) -> list[tuple[str, int]]:
    pages = [(p.relative_to(site).as_posix(), p.stat().st_size) for p in site.rglob("*.html")]
    return sorted(pages, key=lambda item: -item[1])[:count]


def measure(n: int, seed: int, work: Path, mkdocs: bool, profile: str | None, one_change: bool) -> dict:
    folder = work / f"survey-{n}"
    start = time.perf_counter()
    make_survey(folder, n, seed, CONFIG)
    result: dict = {"papers": n, "make_seconds": time.perf_counter() - start, "load_before": os.getloadavg()[0]}
    logs = work / f"logs-{n}"
    logs.mkdir(exist_ok=True)
    survey, mkdocs_bin = _bin("survey"), _bin("mkdocs")
    print(f"[{n}] generate ...", file=sys.stderr, flush=True)
    result["generate"] = run([survey, "generate"], folder, logs / "generate.log", fresh=_emptied(folder / "docs"))
    if result["generate"].get("timeout"):
        mkdocs = one_change = False  # nothing to build on
    print(f"[{n}] stages ...", file=sys.stderr, flush=True)
    command = [sys.executable]
    if profile:
        command += ["-m", "cProfile", "-o", profile]
    command += [__file__, "--stage-child", str(folder)] + (["--changed"] if one_change else [])
    result["stages_process"] = run(command, folder, logs / "stages.log")
    result["stages"] = _stage_results(logs / "stages.log")
    if not result["generate"].get("timeout"):
        result["docs_bytes"], result["docs_files"] = folder_size(folder / "docs")
    if mkdocs:
        print(f"[{n}] mkdocs build ...", file=sys.stderr, flush=True)
        shutil.rmtree(folder / "site", ignore_errors=True)
        result["mkdocs"] = run([mkdocs_bin, "build", "-q"], folder, logs / "mkdocs.log")
        site = folder / "site"
        result["site_bytes"], result["site_files"] = folder_size(site)
        result["search_index_bytes"] = (site / "search" / "search_index.json").stat().st_size
        result["largest_pages"] = largest_pages(site)
        print(f"[{n}] survey build from scratch ...", file=sys.stderr, flush=True)
        result["build"] = run([survey, "build"], folder, logs / "build.log", fresh=_emptied(folder / "docs", folder / "site"))
    if one_change:
        print(f"[{n}] regenerate ...", file=sys.stderr, flush=True)
        result["regenerate_unchanged"] = run([survey, "generate"], folder, logs / "regen0.log")
        _edit_one(folder)
        result["regenerate_one_change"] = run([survey, "generate"], folder, logs / "regen1.log")
        result["import_only"] = run([sys.executable, "-c", "import generator.cli, generator.build, generator.features, generator.sections"], folder, logs / "import.log")
    return result


def _stage_results(log: Path) -> dict:
    """Read the stage child's JSON line, or, when it was stopped, its per-stage lines."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    for line in reversed(lines):
        if line.startswith("{"):
            return json.loads(line)
    found: dict = {"times": {}, "cpu": {}, "peaks": {}, "partial": True}
    for line in lines:
        match = re.match(r"stage (.+): ([\d.]+) s \(([\d.]+) cpu\), peak (\d+) MB", line)
        if match:
            name = match.group(1)
            found["times"][name], found["cpu"][name], found["peaks"][name] = (float(match.group(i)) for i in (2, 3, 4))
    return found


def machine(ref: str | None) -> str:
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "?")
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), platform.processor())
    commit = subprocess.run(["git", "rev-parse", "--short", ref or "HEAD"], cwd=HERE.parent, capture_output=True, text=True).stdout.strip()
    dirty = not ref and subprocess.run(["git", "status", "--porcelain", "generator", "site_templates"], cwd=HERE.parent, capture_output=True, text=True).stdout.strip()
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {int(memory) / 1024**2:.1f} GiB RAM, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; generator at {commit}{' + uncommitted changes' if dirty else ''}"
    )


def _mb(value: float) -> str:
    return f"{value:,.0f} MB"


def _stage(stages: dict, name: str) -> str:
    if name not in stages["times"]:
        return "–"
    cpu = f" ({stages['cpu'][name]:.1f})" if "cpu" in stages else ""
    return f"{stages['times'][name]:.1f}{cpu}, {stages['peaks'][name]:,.0f} MB"


def _s(step: dict) -> str:
    stopped = " – stopped by --timeout" if step.get("timeout") else ""
    return f"{step['wall']:.1f} s ({step['cpu']:.1f} cpu){stopped}"


def report(results: list[dict]) -> str:
    lines = ["| papers | " + " | ".join(f"{r['papers']:,}" for r in results) + " |", "| --- |" + " ---: |" * len(results)]

    def row(label, value):
        lines.append(f"| {label} | " + " | ".join(value(r) for r in results) + " |")

    def optional(key, show):
        return lambda r: show(r[key]) if key in r else "–"

    row("load average before", lambda r: f"{r['load_before']:.1f}")
    row("`survey generate`: wall (cpu)", lambda r: _s(r["generate"]))
    row("`survey generate`: peak memory", lambda r: _mb(r["generate"]["peak_mb"]))
    row("`mkdocs build`: wall (cpu)", optional("mkdocs", _s))
    row("`mkdocs build`: peak memory", optional("mkdocs", lambda m: _mb(m["peak_mb"])))
    row("`survey build` from scratch: wall (cpu)", optional("build", _s))
    row("`survey build`: peak memory", optional("build", lambda m: _mb(m["peak_mb"])))
    row("generate / mkdocs build (≤ 1)", lambda r: f"{r['generate']['wall'] / r['mkdocs']['wall']:.2f}" if "mkdocs" in r else "–")
    row("docs folder: bytes (files)", lambda r: f"{r['docs_bytes'] / 1e6:,.1f} MB ({r['docs_files']:,})" if "docs_bytes" in r else "–")
    row("site: bytes (files)", lambda r: f"{r['site_bytes'] / 1e6:,.1f} MB ({r['site_files']:,})" if "site_bytes" in r else "–")
    row("site bytes per paper", lambda r: f"{r['site_bytes'] / r['papers'] / 1e3:,.1f} kB" if "site_bytes" in r else "–")
    row("search index", lambda r: f"{r['search_index_bytes'] / 1e6:,.1f} MB" if "search_index_bytes" in r else "–")
    row("largest page", lambda r: f"{r['largest_pages'][0][1] / 1e6:,.1f} MB" if "largest_pages" in r else "–")
    row("TF-IDF matrix (papers × terms, nnz)", lambda r: f"{r['stages']['features'][0]:,} × {r['stages']['features'][1]:,}, {r['stages']['nnz']:,}" if "features" in r["stages"] else "–")
    for stage in STAGES:
        if any(stage in r["stages"]["times"] for r in results):
            row(f"stage `{stage}`: wall s (cpu s), peak MB after", lambda r, s=stage: _stage(r["stages"], s))
    row("stages total", lambda r: f"{sum(r['stages']['times'].values()):.1f} s" + (" (stopped by --timeout)" if r["stages"].get("partial") else ""))
    row("memory after imports", lambda r: _mb(r["stages"]["imports_mb"]) if "imports_mb" in r["stages"] else "–")
    row("regenerate, nothing changed (new process)", optional("regenerate_unchanged", lambda m: f"{m['wall']:.2f} s"))
    row("regenerate, one paper changed (new process)", optional("regenerate_one_change", lambda m: f"{m['wall']:.2f} s"))
    row("regenerate, one paper changed (warm, as serve)", lambda r: f"{r['stages']['warm_changed']:.2f} s" if "warm_changed" in r["stages"] else "–")
    row("… its stages (s)", lambda r: ", ".join(f"{k} {v:.2f}" for k, v in r["stages"]["warm_changed_stages"].items()) if "warm_changed_stages" in r["stages"] else "–")
    row("`import generator…` alone", optional("import_only", lambda m: f"{m['wall']:.2f} s"))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Measure survey generate and mkdocs build on synthetic surveys.")
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated numbers of papers (default: 1000,10000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mkdocs-max", type=int, default=10_000, help="run mkdocs build only up to this many papers (default: 10000)")
    parser.add_argument("--work", type=Path, help="keep the surveys in this folder (default: a temporary folder, removed)")
    parser.add_argument("--profile", help="write a cProfile of the stage run of the largest size to this file")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--timeout", type=float, help="stop any one step after this many seconds and report how far it got")
    parser.add_argument("--commit", help="measure the generator as of this commit (e.g. HEAD) instead of the working tree")
    parser.add_argument("--stage-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--changed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage_child:
        stage_child(args.stage_child, args.changed)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    work = args.work or Path(tempfile.mkdtemp(prefix="survey-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    global TIMEOUT
    TIMEOUT = args.timeout
    source = HERE.parent
    if args.commit:
        global CONFIG
        source = snapshot(args.commit, work)
        CONFIG = source / "mkdocs.yml"
        CHILD_ENV["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), os.environ.get("PYTHONPATH")]))
    byte_compile(source)
    results = []
    try:
        for n in sizes:
            profile = args.profile if args.profile and n == max(sizes) else None
            results.append(measure(n, args.seed, work, n <= args.mkdocs_max, profile, one_change=n == min(sizes)))
            if args.json:
                args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
            print(f"[{n}] done", file=sys.stderr, flush=True)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(machine(args.commit))
    print()
    print(report(results))
    for r in results:
        if "largest_pages" in r:
            print(f"\nlargest pages at {r['papers']:,}: " + ", ".join(f"{p} {b / 1e6:.1f} MB" for p, b in r["largest_pages"]))


if __name__ == "__main__":
    main()
