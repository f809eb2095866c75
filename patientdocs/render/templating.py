"""One Jinja2 environment: sandboxed, autoescaping, strict about undefined names.

Patient data reaches templates only as values; autoescape makes every value text in the
XML, so a name like ``</p><h1>`` cannot change the document's structure.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
from pathlib import Path
from typing import Any, cast

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from patientdocs.cachedir import user_cache
from patientdocs.errors import PatientDocsError
from patientdocs.render import markup as vocabulary

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")


def emphasis(text: str) -> Markup:
    """Content's ``**bold**`` and ``*italic*`` as inline tags, after escaping everything else."""
    escaped = str(escape(text))
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    escaped = _ITALIC.sub(r"<i>\1</i>", escaped)
    return Markup(escaped)


def long_date(value: dt.date | None, months: list[str] | tuple[str, ...] = MONTHS_EN) -> str:
    """``1 December 2026``: the day first and the month in words, so it is never ambiguous."""
    if value is None:
        return ""
    return f"{value.day} {months[value.month - 1]} {value.year}"


def date_words(value: dt.date | None, labels: dict[str, str], language: str = "en") -> str:
    """A date in words in the content's language. The content's ``labels.months`` wins where
    it is given (English has it); English without it uses the names above; any other language
    without it gets CLDR's long date through Babel ("1 de diciembre de 2026", "1 בדצמבר 2026")."""
    from patientdocs import language as lang

    names = tuple(labels.get("months", "").split())
    if value is None or len(names) == 12 or lang.is_english(language):
        return long_date(value, names if len(names) == 12 else MONTHS_EN)
    return lang.long_date(value, language)


def month_names(labels: dict[str, str]) -> tuple[str, ...]:
    """The content's ``labels.months`` (twelve names, space-separated), or English."""
    names = tuple(labels.get("months", "").split())
    return names if len(names) == 12 else MONTHS_EN


# Hebrew, Arabic (with its supplements and presentation forms): letters written right to left.
_RTL_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_MARK = {"ltr": "\u200e", "rtl": "\u200f"}  # LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK


@jinja2.pass_context
def _isolate(context: jinja2.runtime.Context, value: Any) -> Any:
    """Every value printed by a template that holds right-to-left letters ends with a mark of
    the document's direction. Without it the bidi algorithm reads what follows as part of the
    name: "Prepared for דוד כהן, 1 December" would show "1 ," before the name (UAX #9 rules
    W2 and N1), and a date after an Arabic name would lose its order."""
    if isinstance(value, str) and _RTL_LETTER.search(value):
        return value + _MARK.get(context.get("direction", "ltr"), _MARK["ltr"])
    return value


@jinja2.pass_context
def _long_date_filter(context: jinja2.runtime.Context, value: dt.date | None) -> str:
    return date_words(value, context.get("labels") or {}, _language_of(context))


def _language_of(context: jinja2.runtime.Context) -> str:
    language = context.get("language")
    if not language:
        content = context.get("content")
        language = content.get("language") if isinstance(content, dict) else None
    return language or "en"


@jinja2.pass_context
def _number_filter(context: jinja2.runtime.Context, value: float) -> str:
    """A number grouped as the content's language does it ("100.000" in Spanish); English keeps
    its own grouping without loading Babel."""
    from patientdocs import language as lang

    language = _language_of(context)
    if lang.is_english(language):
        return f"{value:,}"
    return lang.number(value, language)


class _CheckedLoader(jinja2.FileSystemLoader):
    """Checks each template's tags against the vocabulary when it is first loaded."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        try:
            source, filename, uptodate = super().get_source(environment, template)
        except UnicodeDecodeError as exc:
            path = next((Path(p) / template for p in self.searchpath if (Path(p) / template).is_file()), None)
            line = exc.object[:exc.start].count(b"\n") + 1
            raise PatientDocsError("not UTF-8 text (save the template as UTF-8)",
                                   source=_display(str(path) if path else template), line=line) from None
        vocabulary.check_template_source(source, _display(filename))
        return mark_lines(source, _display(filename)), filename, uptodate


# What the line marks must not go inside: Jinja's tags and comments, XML comments; and the
# characters that start a line or open and close an XML tag.
_TOKEN = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<!--.*?-->|[<>\n]", re.S)
_STATEMENT_LINE = re.compile(r"[ \t]*\{[%#]")


def mark_lines(source: str, name: str) -> str:
    """The template with a line mark (``<?tpl name:N?>``, see markup.MARK) at the start of each line
    that begins in text, so every element of the rendered XML names the template line that wrote it.

    Marks go only where a processing instruction is valid XML and changes nothing else: never inside
    a tag, a Jinja expression or a comment, and never on a line that starts with a Jinja statement
    (lstrip_blocks and trim_blocks then work as before). No newline is added: Jinja's own error
    lines stay right."""
    out: list[str] = []
    line, last, in_tag = 1, 0, False

    def mark(at: int) -> None:
        if not _STATEMENT_LINE.match(source, at):
            out.append(f"<?{vocabulary.MARK} {name}:{line}?>")

    if not source.startswith("<?xml"):
        mark(0)
    for match in _TOKEN.finditer(source):
        token = match.group(0)
        out.append(source[last:match.end()])
        last = match.end()
        if token == "\n":
            line += 1
            if not in_tag:
                mark(last)
        elif token == "<":
            in_tag = True
        elif token == ">":
            in_tag = False
        else:
            line += token.count("\n")
    out.append(source[last:])
    return "".join(out)


def _display(filename: str | None) -> str:
    if not filename:
        return "template"
    path = Path(filename)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (a cold run otherwise spends ~25 ms compiling).

    Jinja keys each entry by the template's checksum, so an edited template is never stale; the
    folder is named after this module and Jinja's version, so changed filters never meet old code.
    The folder is private to the user; without a usable one, templates are simply compiled."""
    # Compiled code depends on the filters defined here and on Jinja's version too.
    code = hashlib.sha256(Path(__file__).read_bytes() + jinja2.__version__.encode()).hexdigest()[:16]
    folder = user_cache(f"jinja-{code}")
    if folder is None:
        return None
    return _PrunedBytecodeCache(str(folder), f"jinja-{code}")


class _PrunedBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache, pruned (see cachedir.prune) whenever a newly compiled template is kept."""

    def __init__(self, directory: str, name: str):
        super().__init__(directory)
        self._name = name

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        super().load_bytecode(bucket)
        if bucket.code is not None:  # used: pruning keeps it
            with contextlib.suppress(OSError):
                os.utime(self._get_cache_filename(bucket))

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        from patientdocs.cachedir import prune, prune_versions

        super().dump_bytecode(bucket)
        prune(Path(self.directory), "__jinja2_*.cache")
        prune_versions(self._name, "jinja-")


def make_environment(template_dir: Path, language: str = "en", direction: str = "ltr") -> jinja2.Environment:
    """The environment for documents in ``language``. Its language and direction are globals,
    because macros imported without context (``_macros.xml.j2``) see globals only: the date
    filter and the marks after right-to-left values use them there too."""
    env = ImmutableSandboxedEnvironment(
        loader=_CheckedLoader(str(template_dir)),
        bytecode_cache=_bytecode_cache(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        finalize=_isolate,
    )
    env.filters["markup"] = emphasis
    env.filters["longdate"] = _long_date_filter
    env.filters["number"] = _number_filter
    env.globals.update(language=language, direction=direction)
    return env


def _template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    """The template file and line where a render error happened (Jinja rewrites tracebacks)."""
    found: tuple[str | None, int | None] = (None, None)
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = (_display(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found


def get_template(env: jinja2.Environment, name: str) -> jinja2.Template:
    try:
        return env.get_template(name)
    except jinja2.TemplateNotFound as exc:
        loader = cast(jinja2.FileSystemLoader, env.loader)  # make_environment's _CheckedLoader
        raise PatientDocsError(f"template '{exc.name}' not found in {_display(loader.searchpath[0])}") \
            from None
    except jinja2.TemplateSyntaxError as exc:
        raise PatientDocsError(f"template syntax error: {exc.message}", source=_display(exc.filename),
                               line=exc.lineno) from None


def render(env: jinja2.Environment, name: str, context: dict[str, Any]) -> str:
    """Render a template; any error names the template file and line."""
    template = get_template(env, name)
    try:
        return template.render(context)
    except jinja2.UndefinedError as exc:
        source, line = _template_frame(exc)
        raise PatientDocsError(f"template uses something undefined: {exc.message}",
                               source=source or name, line=line) from None
    except jinja2.TemplateSyntaxError as exc:
        raise PatientDocsError(f"template syntax error: {exc.message}", source=_display(exc.filename),
                               line=exc.lineno) from None
    except jinja2.exceptions.SecurityError as exc:
        source, line = _template_frame(exc)
        raise PatientDocsError(f"template tried something unsafe: {exc}", source=source or name,
                               line=line) from None
    except PatientDocsError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        source, line = _template_frame(exc)
        raise PatientDocsError(f"template error: {exc}", source=source or name, line=line) from None
