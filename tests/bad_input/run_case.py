#!/usr/bin/env python3
"""Runs bad-input cases against the qsim binary (see README.md here).

    run_case.py --qsim build/qsim CASE.case...      run cases, exit 1 if any fails
    run_case.py --qsim build/qsim --all [-j N]      every case, pending ones too, with a table
    run_case.py --lint [--min-cases N]              check the case files only

A case file is a header of `key: value` lines and `#` comments, then sections
that build the case's temporary folder, in order:

    # What the case checks, in one line (required: the first comment).
    cmd: validate {dir}/s.yaml          qsim's arguments (shell words); required
    exit: 2                             the expected exit status; required
    stderr: s\\.yaml:4:\\d+: .*bots     a regex that stderr must match (re.search,
                                        multi-line); repeatable, at least one
    stdout: ...                         same for stdout; optional
    pending: short reason               qsim is wrong today; ctest shows the case
                                        as Not Run until the fix lands
    timeout: 20                         seconds; a hang is a failure
    allow_complete: true                a failing run may leave complete folders
    --- file NAME                       text up to the next `--- ` line
    --- bytes NAME                      the same, with Python escapes (\\x00) decoded
    --- gzip NAME                       the text, gzip-compressed
    --- gzip-cut NAME N                 the text gzip-compressed, cut to N bytes
                                        (N < 0: without the last -N)
    --- mkdir NAME
    --- fifo NAME
    --- symlink NAME TARGET
    --- qsim ARGS                       a setup run of qsim; must exit 0 or 1
    --- remove NAME
    --- truncate NAME N                 keep the first N bytes (N < 0: drop the last -N)
    --- replace NAME REGEX => TEXT      the first match in the file replaced (re.sub
                                        syntax: \\n, \\1; TEXT may be empty)
    --- copy SRC DST                    a file or a whole folder

Placeholders in `cmd:`, section arguments and file text: {dir} the case's
temporary folder (also the working directory and qsim's TMPDIR), {data} this
suite's data/ folder, {qsim} the binary. Every case also fails when qsim is killed by a
signal or exits >= 128, prints a sanitizer or internal-check report, runs
longer than the timeout, or, when it fails, leaves a folder that looks
complete (run.json; or tasks.csv + summary.csv + scenario.resolved.yaml;
compare.json; sweep.meta + sweep.csv) that was not there before it started.
qsim runs with a 2 GB address-space cap (QSIM_BAD_INPUT_MEMORY_MB; none for
sanitizer builds): a case that makes it allocate without bound fails as a
crash instead of starving the machine.
"""
import argparse
import codecs
import concurrent.futures
import gzip
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases")
DATA = os.path.join(HERE, "data")
COMMANDS = ["run", "validate", "report", "explain", "compare", "sweep", "merge", "check", "replay", "import", "bench",
            "fit", "calibrate", "cli"]
HEADER_KEYS = {"cmd", "exit", "stderr", "stdout", "pending", "timeout", "allow_complete"}
SECTIONS = {"file", "bytes", "gzip", "gzip-cut", "mkdir", "fifo", "symlink", "qsim", "remove", "truncate",
            "replace", "copy"}
# What a crash or a broken invariant prints, whatever the exit status.
CRASH_PATTERNS = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|ThreadSanitizer|"
                            r"runtime error:|terminate called|qsim internal check failed|Segmentation fault|"
                            r"Assertion .* failed")


class CaseError(Exception):
    pass


class Case:
    def __init__(self, path):
        self.path = path
        self.name = os.path.splitext(os.path.basename(path))[0]
        self.comment = None
        self.cmd = None
        self.exit = None
        self.stderr = []
        self.stdout = []
        self.pending = None
        self.timeout = 20.0
        self.allow_complete = False
        self.sections = []  # (kind, args, text)
        self._parse()

    def _parse(self):
        with open(self.path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        i = 0
        while i < len(lines) and not lines[i].startswith("--- "):
            line = lines[i]
            i += 1
            if not line.strip():
                continue
            if line.startswith("#"):
                if self.comment is None:
                    self.comment = line.lstrip("#").strip()
                continue
            key, sep, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if not sep or key not in HEADER_KEYS:
                raise CaseError(f"{self.path}:{i}: expected `key: value` with key one of {sorted(HEADER_KEYS)}")
            if key == "cmd":
                self.cmd = value
            elif key == "exit":
                self.exit = int(value)
            elif key in ("stderr", "stdout"):
                try:
                    getattr(self, key).append(re.compile(value, re.M))
                except re.error as e:
                    raise CaseError(f"{self.path}:{i}: bad regex: {e}")
            elif key == "pending":
                self.pending = value
            elif key == "timeout":
                self.timeout = float(value)
            elif key == "allow_complete":
                self.allow_complete = value == "true"
        while i < len(lines):
            head = lines[i][4:]
            kind, _, args = head.partition(" ")
            if kind not in SECTIONS:
                raise CaseError(f"{self.path}:{i + 1}: unknown section `--- {kind}`")
            i += 1
            body = []
            while i < len(lines) and not lines[i].startswith("--- "):
                body.append(lines[i])
                i += 1
            text = "\n".join(body)
            # A section's text ends with a newline unless it is empty; the
            # file's own final newline is not part of the last section.
            text = text.rstrip("\n") + "\n" if text.strip("\n") else ""
            self.sections.append((kind, args.strip(), text))
        if not self.comment:
            raise CaseError(f"{self.path}: the first comment line must say what the case checks")
        if self.cmd is None or self.exit is None or not self.stderr:
            raise CaseError(f"{self.path}: cmd:, exit: and at least one stderr: are required")

    def command(self):
        return self.name.split("-", 1)[0]


def substitute(text, env):
    for key, value in env.items():
        text = text.replace("{" + key + "}", value)
    return text


def looks_complete(folder):
    names = set(os.listdir(folder))
    return ("run.json" in names or {"tasks.csv", "summary.csv", "scenario.resolved.yaml"} <= names or
            "compare.json" in names or {"sweep.meta", "sweep.csv"} <= names)


def complete_folders(root):
    found = set()
    for dirpath, dirnames, _ in os.walk(root):
        try:
            if looks_complete(dirpath):
                found.add(os.path.relpath(dirpath, root))
        except OSError:
            pass
    return found


def memory_limit_bytes(qsim, given=None):
    """The address-space cap for qsim and its children, so that an input that
    makes qsim allocate without bound fails the case instead of the machine.
    QSIM_BAD_INPUT_MEMORY_MB or --memory-mb sets it (0: none); by default
    sanitizer builds get none, as their shadow memory needs terabytes of
    address space (found by looking for __asan_init in the binary)."""
    mb = os.environ.get("QSIM_BAD_INPUT_MEMORY_MB", given)
    if mb is None:
        import mmap
        with open(qsim, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            mb = "0" if m.find(b"__asan_init") >= 0 or m.find(b"__tsan_init") >= 0 else "2048"
    return int(mb) * 1024 * 1024


def run_qsim(argv, cwd, timeout):
    """(status, stdout, stderr, timed_out); status < 0 is a signal."""
    env = dict(os.environ, TMPDIR=cwd)  # qsim's temporary folders (check's runs) stay in the case's
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, out, err, False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the group we started: qsim and its child runs
        out, err = proc.communicate()
        return proc.returncode, out, err, True


def build(case, tmp, env, qsim):
    for kind, args, text in case.sections:
        args = substitute(args, env)
        words = shlex.split(args) if kind != "replace" else []
        path = lambda name: os.path.join(tmp, name)
        if kind in ("file", "bytes", "gzip", "gzip-cut"):
            data = substitute(text, env).encode()
            if kind == "bytes":
                data = codecs.escape_decode(data)[0]
            if kind in ("gzip", "gzip-cut"):
                data = gzip.compress(data, mtime=0)
            if kind == "gzip-cut":
                data = data[:int(words[1])]  # N < 0: drop the last -N bytes
            os.makedirs(os.path.dirname(path(words[0])), exist_ok=True)
            with open(path(words[0]), "wb") as f:
                f.write(data)
        elif kind == "mkdir":
            os.makedirs(path(words[0]), exist_ok=True)
        elif kind == "fifo":
            os.mkfifo(path(words[0]))
        elif kind == "symlink":
            os.symlink(words[1], path(words[0]))
        elif kind == "remove":
            p = path(words[0])
            shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.remove(p)
        elif kind == "truncate":
            p, n = path(words[0]), int(words[1])
            size = os.path.getsize(p)
            os.truncate(p, n if n >= 0 else max(0, size + n))
        elif kind == "replace":
            name, _, rest = args.partition(" ")
            pattern, sep, repl = rest.partition(" =>")
            repl = repl[1:] if repl.startswith(" ") else repl
            if not sep:
                raise CaseError(f"{case.path}: `--- replace NAME REGEX => TEXT`")
            with open(path(name), encoding="utf-8") as f:
                content = f.read()
            new, n = re.subn(pattern, repl, content, count=1)
            if n != 1:
                raise CaseError(f"{case.path}: replace: /{pattern}/ not found in {name}")
            with open(path(name), "w", encoding="utf-8") as f:
                f.write(new)
        elif kind == "copy":
            src, dst = path(words[0]), path(words[1])
            shutil.copytree(src, dst) if os.path.isdir(src) else shutil.copyfile(src, dst)
        elif kind == "qsim":
            status, out, err, timed_out = run_qsim([qsim] + words, tmp, case.timeout)
            if timed_out or status not in (0, 1):
                raise CaseError(f"setup `qsim {args}` exited {status}{' (timed out)' if timed_out else ''}:\n"
                                f"{err.decode(errors='replace')[-2000:]}")


def run_case(case, qsim, keep=False, show=None):
    """A list of problems; empty when the case passes. `show`, when given, gets
    qsim's exit status and stderr (to review what passing cases print)."""
    tmp = tempfile.mkdtemp(prefix=f"qsim-bad-input-{case.name}-")
    env = {"dir": tmp, "data": DATA, "qsim": qsim}
    problems = []
    try:
        try:
            build(case, tmp, env, qsim)
        except (CaseError, OSError, ValueError, IndexError) as e:
            return [f"setting up the case failed: {e}"]
        before = complete_folders(tmp)
        argv = [qsim] + shlex.split(substitute(case.cmd, env))
        status, out, err, timed_out = run_qsim(argv, tmp, case.timeout)
        out, err = out.decode(errors="replace"), err.decode(errors="replace")
        if show is not None:
            show.append((status, err))
        if timed_out:
            problems.append(f"hung: still running after {case.timeout:g} s (killed)")
        elif status < 0:
            try:
                name = signal.Signals(-status).name
            except ValueError:
                name = "?"
            problems.append(f"crashed: killed by signal {-status} ({name})")
        elif status >= 128:
            problems.append(f"crashed: exit status {status}")
        elif status != case.exit:
            problems.append(f"exit status {status}, expected {case.exit}")
        if CRASH_PATTERNS.search(err):
            problems.append("stderr holds a crash or internal-check report")
        for rx in case.stderr:
            if not rx.search(err):
                problems.append(f"stderr does not match /{rx.pattern}/")
        for rx in case.stdout:
            if not rx.search(out):
                problems.append(f"stdout does not match /{rx.pattern}/")
        if status != 0 and not case.allow_complete:
            for folder in sorted(complete_folders(tmp) - before):
                problems.append(f"failed, yet left a folder that looks complete: {folder}")
        if problems:
            shown = lambda s: s if len(s) <= 3000 else s[:1500] + "\n[...]\n" + s[-1500:]
            problems.append(f"command: qsim {shlex.join(argv[1:])}\n--- stderr ---\n{shown(err)}"
                            f"--- stdout ---\n{shown(out)}")
    finally:
        if keep and problems:
            problems.append(f"kept the case's folder {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return problems


def load_all(paths):
    cases, errors = [], []
    for p in paths:
        try:
            cases.append(Case(p))
        except (CaseError, ValueError) as e:
            errors.append(str(e))
    return cases, errors


def lint(min_cases):
    paths = sorted(os.path.join(CASES, n) for n in os.listdir(CASES) if n.endswith(".case"))
    cases, errors = load_all(paths)
    for c in cases:
        if c.command() not in COMMANDS:
            errors.append(f"{c.path}: the name must start with a command: {', '.join(COMMANDS)}")
    per = {cmd: sum(c.command() == cmd for c in cases) for cmd in COMMANDS}
    for cmd, n in per.items():
        if n == 0:
            errors.append(f"no case for {cmd}")
    if len(cases) < min_cases:
        errors.append(f"{len(cases)} cases, fewer than {min_cases}")
    for e in errors:
        print(e)
    print(f"{len(cases)} cases ({sum(c.pending is not None for c in cases)} pending): " +
          ", ".join(f"{k} {v}" for k, v in per.items()))
    return 1 if errors else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qsim", help="the qsim binary")
    ap.add_argument("--all", action="store_true", help="run every case, pending ones too, and print a table")
    ap.add_argument("--lint", action="store_true", help="only check the case files")
    ap.add_argument("--min-cases", type=int, default=120)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the folders of failing cases")
    ap.add_argument("--memory-mb", type=int, help="qsim's address-space cap (0: none; default 2048, none with ASan)")
    ap.add_argument("-v", "--verbose", action="store_true", help="with --all: show what qsim printed for every case")
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args()
    if a.lint:
        return lint(a.min_cases)
    if not a.qsim:
        ap.error("--qsim is required")
    qsim = os.path.abspath(a.qsim)
    limit = memory_limit_bytes(qsim, None if a.memory_mb is None else str(a.memory_mb))
    if limit:  # inherited by every qsim this process starts (set here: no preexec_fn with threads)
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    paths = a.cases or (sorted(os.path.join(CASES, n) for n in os.listdir(CASES) if n.endswith(".case"))
                        if a.all else [])
    if not paths:
        ap.error("no cases given (name them, or --all)")
    cases, errors = load_all(paths)
    for e in errors:
        print(e)
    failed = bool(errors)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        def one(c):
            shown = []
            return c, run_case(c, qsim, a.keep, shown), shown
        results3 = list(pool.map(one, cases))
    results = [(c, p) for c, p, _ in results3]
    for case, problems, shown in results3:
        tag = "PASS" if not problems else ("FAIL (pending)" if case.pending else "FAIL")
        if problems and (not case.pending or not a.all):
            failed = True
        if not problems and case.pending and a.all:
            tag = "PASS (pending)"  # fixed: its pending: line can go
        if a.all:
            print(f"{tag:15} {case.name}" + (f"  [pending: {case.pending}]" if case.pending else ""))
            if problems:
                print("    " + problems[0])
            if a.verbose and shown:
                status, err = shown[0]
                print(f"    exit {status}: " + "\n    ".join(err.strip().splitlines()[:3])[:400])
        else:
            print(f"{tag} {case.name}: {case.comment}")
            for p in problems:
                print(p)
    if a.all:
        n_pass = sum(not p for _, p in results)
        print(f"{n_pass} passed, {len(results) - n_pass} failed "
              f"({sum(bool(p) and c.pending is not None for c, p in results)} of them pending); "
              f"{sum(not p and c.pending is not None for c, p in results)} pending cases pass now")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
