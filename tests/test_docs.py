"""The README and docs/ stay true: links resolve, examples run against the schema.

Links: every relative link or image in README.md, docs/*.md and bench/README.md
points at a file or folder of the repo, and an `#anchor` at a heading of its
target (GitHub's slugs: lower case, punctuation dropped, spaces to hyphens,
repeats numbered). Paths written in code spans (`gateway/app.py`) must exist too.
Examples: every ```graphql block of the README parses, names each operation, and
validates against the committed schema.graphql.
"""

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import graphql
import pytest

from tests.conftest import SandboxAdmin, gateway_for, settings_for

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MAX_README_LINES = 150

# Top-level folders a code span may name as a path, e.g. `gateway/http` or `deploy/`.
REPO_FOLDERS = ("gateway", "schema", "resolvers", "sandbox", "bench", "tests", "deploy", "docs")

_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE_LINK = re.compile(
    r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)"
)
_REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_PATH = re.compile(r"^(?:" + "|".join(REPO_FOLDERS) + r")(?:/[\w.-]+)*/?$")


def documents() -> list[Path]:
    """The Markdown files whose links are checked."""
    return [README, ROOT / "bench" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks."""
    lines: list[tuple[int, str]] = []
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append((number, line))
    return lines


def fenced_blocks(text: str, language: str) -> list[str]:
    """The contents of the ```<language> blocks of `text`."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if current is None:
            if stripped in (f"```{language}", f"~~~{language}"):
                current = []
        elif stripped in ("```", "~~~"):
            blocks.append("\n".join(current))
            current = None
        else:
            current.append(line)
    return blocks


def named_example(text: str, name: str) -> str:
    """The ```graphql block of `text` whose one operation is named `name`."""
    (block,) = [
        block
        for block in fenced_blocks(text, "graphql")
        if any(
            isinstance(d, graphql.OperationDefinitionNode) and d.name and d.name.value == name
            for d in graphql.parse(block).definitions
        )
    ]
    return block


def example_variables(text: str) -> dict[str, Any]:
    """The variables `text` gives its examples: its "Variables: `{...}`" JSON."""
    found = re.search(r"Variables: `(\{.*?\})`", text)
    assert found is not None, "no Variables: `{...}` line"
    variables: dict[str, Any] = json.loads(found.group(1))
    return variables


def links(text: str) -> list[tuple[int, str]]:
    """(line number, target) of every inline, image and reference link outside code."""
    found: list[tuple[int, str]] = []
    for number, line in prose_lines(text):
        reference = _REFERENCE_LINK.match(line)
        if reference:
            found.append((number, reference.group(1)))
            continue
        without_code = _CODE_SPAN.sub(lambda span: " " * len(span.group(0)), line)
        found.extend((number, match.group(1)) for match in _INLINE_LINK.finditer(without_code))
    return found


def code_span_paths(text: str) -> list[tuple[int, str]]:
    """(line number, path) of code spans outside code blocks that name a repo path."""
    return [
        (number, span.group(2).strip())
        for number, line in prose_lines(text)
        for span in _CODE_SPAN.finditer(line)
        if _PATH.match(span.group(2).strip())
    ]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links: their text
    text = text.replace("`", "").replace("*", "")
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors of a Markdown file's headings, repeats numbered as GitHub does."""
    seen: Counter[str] = Counter()
    found: set[str] = set()
    for _, line in prose_lines(path.read_text()):
        heading = _HEADING.match(line)
        if heading is None:
            continue
        base = slug(heading.group(2))
        found.add(base if seen[base] == 0 else f"{base}-{seen[base]}")
        seen[base] += 1
    return found


def broken_links(document: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with the relative links of `document` (a file under `root`)."""
    problems: list[str] = []
    where = document.relative_to(root)
    for number, target in links(document.read_text()):
        if _SCHEME.match(target) or target.startswith("//"):
            continue  # an external address: not checked here
        file_part, _, anchor = target.partition("#")
        linked = (document.parent / file_part).resolve() if file_part else document
        if not linked.exists():
            problems.append(f"{where}:{number}: {target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            problems.append(f"{where}:{number}: {target}: no heading #{anchor}")
        elif anchor and linked.suffix != ".md":
            problems.append(f"{where}:{number}: {target}: an anchor into a non-Markdown file")
    return problems


def missing_paths(document: Path, root: Path = ROOT) -> list[str]:
    """The repo paths `document`'s code spans name that do not exist under `root`."""
    where = document.relative_to(root)
    return [
        f"{where}:{number}: `{path}`"
        for number, path in code_span_paths(document.read_text())
        if not (root / path).exists()
    ]


def example_problems(text: str, schema: graphql.GraphQLSchema) -> tuple[list[str], list[str]]:
    """The operations the ```graphql blocks of `text` name, and what is wrong with
    them: an anonymous operation, or a validation error against `schema`."""
    names: list[str] = []
    problems: list[str] = []
    for example in fenced_blocks(text, "graphql"):
        document = graphql.parse(example)
        for definition in document.definitions:
            if isinstance(definition, graphql.OperationDefinitionNode):
                if definition.name is None:
                    problems.append(f"an anonymous operation: {example[:60]!r}")
                else:
                    names.append(definition.name.value)
        problems.extend(error.message for error in graphql.validate(schema, document))
    return names, problems


def test_every_documentation_page_is_checked() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in documents()}
    for page in ("architecture", "errors", "operations", "security", "resilience"):
        assert f"docs/{page}.md" in names
    assert all(path.exists() for path in documents())


def test_relative_links_resolve_to_files_and_headings() -> None:
    problems = [problem for document in documents() for problem in broken_links(document)]
    assert not problems, "\n".join(problems)


def test_the_link_check_sees_the_readme_links() -> None:
    targets = {target for _, target in links(README.read_text())}
    assert "docs/settings.md" in targets
    assert "bench/README.md" in targets


def test_a_broken_link_or_anchor_is_reported(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## What closed the gap, and what is left\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n"
        "[fine](other.md#what-closed-the-gap-and-what-is-left) [self](#page)\n"
        "[gone](missing.md) and ![gone too](img/missing.png)\n"
        "[no heading](other.md#nowhere) `[not a link](missing-in-code.md)`\n"
        "```\n[inside a block](missing-in-block.md)\n```\n"
        "[external](https://example.com/x.md)\n"
        "[ref]: missing-reference.md\n"
    )
    assert broken_links(page, tmp_path) == [
        "page.md:4: missing.md: no such file",
        "page.md:4: img/missing.png: no such file",
        "page.md:5: other.md#nowhere: no heading #nowhere",
        "page.md:10: missing-reference.md: no such file",
    ]


def test_slugs_follow_github() -> None:
    assert slug("What closed the gap, and what is left") == "what-closed-the-gap-and-what-is-left"
    assert slug("`gateway/http`: the edge") == "gatewayhttp-the-edge"
    assert slug("Set-up: two commands") == "set-up-two-commands"
    assert slug("Per_request [loaders](x.md)") == "per_request-loaders"


def test_paths_named_in_the_readme_and_docs_exist() -> None:
    missing = [problem for document in documents() for problem in missing_paths(document)]
    assert not missing, "\n".join(missing)


def test_a_missing_path_in_a_code_span_is_found(tmp_path: Path) -> None:
    text = "See `gateway/nope.py`, `deploy/`, `make run`, `../shared/x` and `/tmp`.\n"
    text += "```\n`gateway/in_a_block.py`\n```\n"
    assert code_span_paths(text) == [(1, "gateway/nope.py"), (1, "deploy/")]
    (tmp_path / "deploy").mkdir()
    page = tmp_path / "page.md"
    page.write_text(text)
    assert missing_paths(page, tmp_path) == ["page.md:1: `gateway/nope.py`"]


def test_the_readme_is_short() -> None:
    lines = len(README.read_text().splitlines())
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; move detail to docs/"


def served() -> graphql.GraphQLSchema:
    return graphql.build_schema((ROOT / "schema.graphql").read_text())


def test_readme_examples_are_named_operations_valid_against_the_schema() -> None:
    text = README.read_text()
    assert fenced_blocks(text, "graphql"), "the README shows no ```graphql example"
    names, problems = example_problems(text, served())
    assert not problems, "\n".join(problems)
    assert "Wallet" in names


def test_an_anonymous_or_invalid_example_is_caught() -> None:
    text = (
        "```graphql\n"
        'query Good { promotion(programId: "469", id: "57099") { name } }\n'
        "```\n"
        "```graphql\n"
        '{ promotion(programId: "469", id: "57099") { name } }\n'
        "```\n"
        "```graphql\n"
        'query Bad { promotion(programId: "469", id: "57099") { nope } }\n'
        "```\n"
    )
    names, problems = example_problems(text, served())
    assert names == ["Good", "Bad"]
    assert len(problems) == 2
    assert problems[0].startswith("an anonymous operation: ")
    assert "nope" in problems[1]


def missing_ids(document: graphql.DocumentNode, schema: graphql.GraphQLSchema) -> list[str]:
    """Selections of an object type with an `id` that leave the `id` out: what a
    normalized client cache (Apollo Client, urql's graphcache) could not key."""
    missing: list[str] = []
    type_info = graphql.TypeInfo(schema)

    class Visitor(graphql.Visitor):
        def enter_field(self, node: graphql.FieldNode, *_: object) -> None:
            named = graphql.get_named_type(type_info.get_type())
            if (
                node.selection_set is not None
                and isinstance(named, graphql.GraphQLObjectType)
                and "id" in named.fields
                and not any(
                    isinstance(s, graphql.FieldNode) and s.name.value == "id" and s.alias is None
                    for s in node.selection_set.selections
                )
            ):
                missing.append(f"{named.name} under {node.name.value}")

    graphql.visit(document, graphql.TypeInfoVisitor(type_info, Visitor()))
    return missing


def test_readme_examples_select_the_ids_a_normalized_cache_needs() -> None:
    schema = served()
    for block in fenced_blocks(README.read_text(), "graphql"):
        assert missing_ids(graphql.parse(block), schema) == [], block


def test_a_selection_without_its_id_is_caught() -> None:
    document = graphql.parse(
        'query P { promotion(programId: "1", id: "2") { name rulesets { id } } }'
    )
    assert missing_ids(document, served()) == ["Promotion under promotion"]


@pytest.mark.integration
async def test_each_readme_example_runs_as_pasted(sandbox: SandboxAdmin) -> None:
    """Each block is one named operation, sent as it stands (no operationName), with the
    README's variables when it declares some; the sandbox answers it without an error."""
    text = README.read_text()
    variables = example_variables(text)
    async with gateway_for(settings_for(sandbox.url)) as gateway:
        for block in fenced_blocks(text, "graphql"):
            [operation] = graphql.parse(block).definitions
            assert isinstance(operation, graphql.OperationDefinitionNode)
            given = variables if operation.variable_definitions else {}
            body = await gateway.query(block, given)
            assert "errors" not in body, (block, body)
            assert body["data"]
            assert all(value is not None for value in body["data"].values())


@pytest.mark.parametrize("name", ["cache-config.mjs", "codegen-config.mjs"])
def test_the_clients_page_shows_the_configuration_the_client_tests_use(name: str) -> None:
    page = (ROOT / "docs" / "clients.md").read_text()
    text = (ROOT / "tests" / "clients" / name).read_text()
    assert text.rstrip("\n") in fenced_blocks(page, "js"), f"docs/clients.md lacks {name} as is"
