"""The README's code blocks, for the tests that run them (tests/test_readme_examples.py,
tests/test_readme_questions.py, tests/test_sdk.py).

Every fenced block in README.md follows a marker comment on the line before it:
`<!-- example: NAME -->` for an example the suite runs against a live server, or
`<!-- not-run: REASON -->` for one it does not (a shell command, an HTML snippet), with the
reason. Python and JavaScript blocks are always run; a shell example is a list of `curl`
commands, whose requests are made.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from conftest import PROJECT_ROOT, require_system

README = PROJECT_ROOT / "README.md"
# The address the README's examples use; the tests run them against their own live server.
README_URL = "http://127.0.0.1:8000"
FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```$", re.MULTILINE | re.DOTALL)
MARKER = re.compile(r"<!-- (example|not-run): (.+?) -->")
ALWAYS_RUN = ("python", "js")
RUNNABLE = (*ALWAYS_RUN, "sh")


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    language: str
    code: str  # dedented by the fence's own indentation (a block inside a list item)
    marker: str | None  # "example", "not-run", or None when the line before names neither
    label: str  # the example's name, or the reason it is not run

    def __str__(self) -> str:
        return f"README.md line {self.line} ({self.language or 'no language'})"


def blocks(text: str | None = None) -> list[Block]:
    """Every fenced block of the README (or of `text`), with the marker before it."""
    if text is None:
        text = README.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        indent, language, body = match.groups()
        before = text[: match.start()].rstrip("\n").rpartition("\n")[2].strip()
        marker = MARKER.fullmatch(before)
        found.append(
            Block(
                line=text.count("\n", 0, match.start()) + 1,
                language=language,
                code="".join(line.removeprefix(indent) for line in body.splitlines(True)),
                marker=marker.group(1) if marker else None,
                label=marker.group(2).strip() if marker else "",
            )
        )
    return found


def examples() -> dict[str, Block]:
    """The blocks marked `<!-- example: NAME -->`, by name."""
    return {block.label: block for block in blocks() if block.marker == "example"}


def example(name: str, language: str) -> str:
    """The code of the README example `name`, which must be in `language`."""
    block = examples()[name]
    assert block.language == language, f"{block} is not {language}"
    return block.code


def run_python(name: str, server: str, namespace: dict[str, Any] | None = None) -> str:
    """Run the README's Python example `name` against `server`, in this interpreter (the
    project's venv), in `namespace` (by default an empty one; the example's definitions stay
    in it); return what it printed."""
    code = example(name, "python").replace(README_URL, server)
    scope = {} if namespace is None else namespace
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, f"README.md:{name}", "exec"), scope)  # noqa: S102 - the README's own
    return output.getvalue()


def run_javascript(name: str, server: str, directory: Path) -> str:
    """Run the README's JavaScript example `name` against `server` with Node, as an ES module
    (the examples use top-level `await`); return what it printed. Without Node the test is
    skipped, or fails with REQUIRE_SYSTEM_TESTS=1."""
    node = shutil.which("node")
    require_system("node", node is not None)
    script = directory / f"{name}.mjs"
    script.write_text(example(name, "js").replace(README_URL, server), encoding="utf-8")
    result = subprocess.run(
        [str(node), str(script)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_curl(name: str, server: str) -> list[httpx.Response]:
    """Make the requests of the README's shell example `name` (one `curl` command a line: a
    GET with its `-H` headers; `-O` saves the body, which here is only read) to `server`."""
    responses = []
    for line in example(name, "sh").splitlines():
        command, *words = shlex.split(line, comments=True) or [""]
        if not command:
            continue
        assert command == "curl", f"{name}: only curl commands are run, not {line!r}"
        headers, urls, options = {}, [], iter(words)
        for word in options:
            if word == "-H":
                key, _, value = next(options).partition(":")
                headers[key.strip()] = value.strip()
            elif word.startswith(README_URL):
                urls.append(server + word.removeprefix(README_URL))
            else:
                assert word == "-O", f"{name}: no test knows curl's {word!r} in {line!r}"
        assert urls, f"{name}: {line!r} requests nothing"
        responses += [httpx.get(url, headers=headers) for url in urls]
    return responses


EXPECTED = re.compile(r"^ *(?:#|//) prints: (.*)$", re.MULTILINE)


def expected_output(name: str) -> list[str]:
    """The output the README gives for example `name`, in order: its `# prints: ...` (Python)
    or `// prints: ...` (JavaScript) comments."""
    return EXPECTED.findall(examples()[name].code)
