"""A POSIX shell parser for the subset Android's mksh is asked to run over adb.

The adb CLI quotes every argument with '...' and appends ``</dev/null``; adbutils appends
``; echo X4EXIT:$?``; uiautomator2 runs ``CLASSPATH=... app_process ...``; people type
``while [ "$(getprop sys.boot_completed)" != 1 ]; do sleep 1; done``. So this parses real
quoting, parameter and command substitution, ``;`` ``&&`` ``||`` ``|`` ``&``, redirections,
assignments, subshells, brace groups and if/while/until/for.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class ShellSyntaxError(Exception):
    pass


# ---------------------------------------------------------------- words


@dataclass
class Lit:
    text: str
    quoted: bool = False


@dataclass
class Param:
    name: str
    quoted: bool = False
    op: str = ""  # "", ":-", "-", ":=", ":+", "#" (length)
    arg: Word | None = None


@dataclass
class CmdSub:
    source: str
    quoted: bool = False


@dataclass
class Arith:
    expr: str
    quoted: bool = False


Part = Lit | Param | CmdSub | Arith


@dataclass
class Word:
    parts: list[Part] = field(default_factory=list)

    def literal(self) -> str | None:
        """The text when the word is a plain unquoted literal (reserved words, names)."""
        if len(self.parts) == 1 and isinstance(self.parts[0], Lit) and not self.parts[0].quoted:
            return self.parts[0].text
        return None

    @property
    def has_quotes(self) -> bool:
        return any(getattr(p, "quoted", False) for p in self.parts)


# ---------------------------------------------------------------- commands


@dataclass
class Redirect:
    fd: int
    op: str  # "<", ">", ">>", ">&", "<&", "<>", ">|"
    target: Word


@dataclass
class SimpleCommand:
    assigns: list[tuple[str, Word]] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Pipeline:
    commands: list[Command]
    negate: bool = False


@dataclass
class AndOr:
    first: Pipeline
    rest: list[tuple[str, Pipeline]] = field(default_factory=list)


@dataclass
class CommandList:
    items: list[tuple[AndOr, bool]] = field(default_factory=list)  # (and_or, background)


@dataclass
class Group:
    body: CommandList
    subshell: bool
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class If:
    branches: list[tuple[CommandList, CommandList]]
    else_body: CommandList | None
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Loop:
    cond: CommandList
    body: CommandList
    until: bool = False
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class For:
    var: str
    items: list[Word] | None
    body: CommandList
    redirects: list[Redirect] = field(default_factory=list)


Command = SimpleCommand | Group | If | Loop | For

# ---------------------------------------------------------------- lexer

_OPERATORS = ["&&", "||", ";;", ">>", ">&", "<&", "<>", ">|", ";", "&", "|", "(", ")", "<", ">"]
_RESERVED = {
    "if",
    "then",
    "elif",
    "else",
    "fi",
    "while",
    "until",
    "do",
    "done",
    "for",
    "in",
    "{",
    "}",
    "!",
}
_NAME_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _NAME_START | set("0123456789")
_SPECIAL_PARAMS = set("?$#!@*-0123456789")


@dataclass
class Token:
    kind: str  # "word", "op", "newline", "io", "eof"
    value: str = ""
    word: Word | None = None


class _Lexer:
    def __init__(self, src: str) -> None:
        self.src = src
        self.i = 0

    def tokens(self) -> list[Token]:
        out: list[Token] = []
        while True:
            tok = self._next()
            out.append(tok)
            if tok.kind == "eof":
                return out

    def _peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.src[j] if j < len(self.src) else ""

    def _next(self) -> Token:
        src = self.src
        while self.i < len(src):
            c = src[self.i]
            if c in " \t":
                self.i += 1
            elif c == "\\" and self._peek(1) == "\n":
                self.i += 2
            elif c == "#":
                while self.i < len(src) and src[self.i] != "\n":
                    self.i += 1
            else:
                break
        if self.i >= len(src):
            return Token("eof")
        c = src[self.i]
        if c == "\n":
            self.i += 1
            return Token("newline", "\n")
        for op in _OPERATORS:
            if src.startswith(op, self.i):
                self.i += len(op)
                return Token("op", op)
        start = self.i
        word = self._word()
        raw = src[start : self.i]
        if raw.isdigit() and self._peek() and self._peek() in "<>":
            return Token("io", raw)
        return Token("word", raw, word)

    def _word(self) -> Word:
        parts: list[Part] = []
        buf: list[str] = []

        def flush(quoted: bool = False) -> None:
            if buf:
                parts.append(Lit("".join(buf), quoted))
                buf.clear()

        src = self.src
        while self.i < len(src):
            c = src[self.i]
            if c in " \t\n;&|()<>":
                break
            if c == "\\":
                flush()
                nxt = self._peek(1)
                self.i += 2
                if nxt == "\n":
                    continue
                parts.append(Lit(nxt, True))
            elif c == "'":
                flush()
                end = src.find("'", self.i + 1)
                if end < 0:
                    raise ShellSyntaxError("unterminated quoted string")
                parts.append(Lit(src[self.i + 1 : end], True))
                self.i = end + 1
            elif c == '"':
                flush()
                self.i += 1
                parts.extend(self._double_quoted())
            elif c == "$":
                flush()
                parts.append(self._dollar(quoted=False))
            elif c == "`":
                flush()
                parts.append(self._backtick(quoted=False))
            else:
                buf.append(c)
                self.i += 1
        flush()
        return Word(parts)

    def _double_quoted(self) -> list[Part]:
        parts: list[Part] = []
        buf: list[str] = []
        src = self.src
        while True:
            if self.i >= len(src):
                raise ShellSyntaxError("unterminated double-quoted string")
            c = src[self.i]
            if c == '"':
                self.i += 1
                break
            if c == "\\" and self._peek(1) in '$`"\\\n':
                if self._peek(1) != "\n":
                    buf.append(self._peek(1))
                self.i += 2
            elif c == "$":
                if buf:
                    parts.append(Lit("".join(buf), True))
                    buf.clear()
                parts.append(self._dollar(quoted=True))
            elif c == "`":
                if buf:
                    parts.append(Lit("".join(buf), True))
                    buf.clear()
                parts.append(self._backtick(quoted=True))
            else:
                buf.append(c)
                self.i += 1
        # An empty "" must still produce an (empty) argument.
        if buf or not parts:
            parts.append(Lit("".join(buf), True))
        return parts

    def _dollar(self, quoted: bool) -> Part:
        src = self.src
        nxt = self._peek(1)
        if nxt == "(":
            if self._peek(2) == "(":
                end = _matching_paren(src, self.i + 3)
                if end + 1 >= len(src) or src[end + 1] != ")":
                    raise ShellSyntaxError("unterminated $((")
                expr = src[self.i + 3 : end]
                self.i = end + 2
                return Arith(expr, quoted)
            end = _matching_paren(src, self.i + 2)
            source = src[self.i + 2 : end]
            self.i = end + 1
            return CmdSub(source, quoted)
        if nxt == "{":
            end = src.find("}", self.i + 2)
            if end < 0:
                raise ShellSyntaxError("bad substitution")
            inner = src[self.i + 2 : end]
            self.i = end + 1
            return _param_from_braces(inner, quoted)
        if nxt in _SPECIAL_PARAMS and nxt:
            self.i += 2
            return Param(nxt, quoted)
        if nxt in _NAME_START and nxt:
            j = self.i + 1
            while j < len(src) and src[j] in _NAME_CHARS:
                j += 1
            name = src[self.i + 1 : j]
            self.i = j
            return Param(name, quoted)
        self.i += 1
        return Lit("$", quoted)

    def _backtick(self, quoted: bool) -> Part:
        end = self.src.find("`", self.i + 1)
        if end < 0:
            raise ShellSyntaxError("unterminated `")
        source = self.src[self.i + 1 : end]
        self.i = end + 1
        return CmdSub(source, quoted)


def _matching_paren(src: str, start: int) -> int:
    """Index of the ``)`` closing a ``$(`` whose body starts at ``start``; quotes respected."""
    depth = 1
    i = start
    while i < len(src):
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            end = src.find("'", i + 1)
            if end < 0:
                break
            i = end + 1
            continue
        if c == '"':
            i += 1
            while i < len(src) and src[i] != '"':
                i += 2 if src[i] == "\\" else 1
            i += 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ShellSyntaxError("unterminated $(")


def _param_from_braces(inner: str, quoted: bool) -> Param:
    if inner.startswith("#") and len(inner) > 1:
        return Param(inner[1:], quoted, "#")
    for op in (":-", ":=", ":+", "-", "+", "="):
        idx = inner.find(op)
        if idx > 0:
            name, arg = inner[:idx], inner[idx + len(op) :]
            return Param(name, quoted, op, _Lexer(arg)._word() if arg else Word([Lit("")]))
    return Param(inner, quoted)


# ---------------------------------------------------------------- parser


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.toks = tokens
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def _advance(self) -> Token:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def _is_reserved(self, *names: str) -> bool:
        t = self.tok
        return t.kind == "word" and t.word is not None and t.word.literal() in names

    def _is_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.value in ops

    def _skip_newlines(self) -> None:
        while self.tok.kind == "newline":
            self.i += 1

    def _expect_reserved(self, name: str) -> None:
        self._skip_newlines()
        if not self._is_reserved(name):
            raise ShellSyntaxError(
                f"'{self.tok.value or 'end of file'}' unexpected, expecting '{name}'"
            )
        self.i += 1

    def program(self) -> CommandList:
        result = self.command_list(terminators=())
        self._skip_newlines()
        if self.tok.kind != "eof":
            raise ShellSyntaxError(f"'{self.tok.value}' unexpected")
        return result

    def command_list(self, terminators: tuple[str, ...]) -> CommandList:
        cl = CommandList()
        while True:
            self._skip_newlines()
            if self.tok.kind == "eof" or self._is_op(")") or self._is_reserved(*terminators):
                return cl
            and_or = self.and_or()
            background = False
            if self._is_op("&"):
                background = True
                self.i += 1
            elif self._is_op(";") or self.tok.kind == "newline":
                self.i += 1
            cl.items.append((and_or, background))

    def and_or(self) -> AndOr:
        node = AndOr(self.pipeline())
        while self._is_op("&&", "||"):
            op = self._advance().value
            self._skip_newlines()
            node.rest.append((op, self.pipeline()))
        return node

    def pipeline(self) -> Pipeline:
        negate = False
        if self._is_reserved("!"):
            negate = True
            self.i += 1
        cmds = [self.command()]
        while self._is_op("|"):
            self.i += 1
            self._skip_newlines()
            cmds.append(self.command())
        return Pipeline(cmds, negate)

    def command(self) -> Command:
        if self._is_op("("):
            self.i += 1
            body = self.command_list(terminators=())
            if not self._is_op(")"):
                raise ShellSyntaxError("missing )")
            self.i += 1
            return Group(body, True, self.redirects())
        if self._is_reserved("{"):
            self.i += 1
            body = self.command_list(terminators=("}",))
            self._expect_reserved("}")
            return Group(body, False, self.redirects())
        if self._is_reserved("if"):
            return self.if_clause()
        if self._is_reserved("while", "until"):
            until = self._advance().word.literal() == "until"  # type: ignore[union-attr]
            cond = self.command_list(terminators=("do",))
            self._expect_reserved("do")
            body = self.command_list(terminators=("done",))
            self._expect_reserved("done")
            return Loop(cond, body, until, self.redirects())
        if self._is_reserved("for"):
            return self.for_clause()
        return self.simple_command()

    def if_clause(self) -> If:
        self.i += 1
        branches = []
        cond = self.command_list(terminators=("then",))
        self._expect_reserved("then")
        body = self.command_list(terminators=("elif", "else", "fi"))
        branches.append((cond, body))
        else_body = None
        while True:
            self._skip_newlines()
            if self._is_reserved("elif"):
                self.i += 1
                cond = self.command_list(terminators=("then",))
                self._expect_reserved("then")
                body = self.command_list(terminators=("elif", "else", "fi"))
                branches.append((cond, body))
            elif self._is_reserved("else"):
                self.i += 1
                else_body = self.command_list(terminators=("fi",))
            else:
                break
        self._expect_reserved("fi")
        return If(branches, else_body, self.redirects())

    def for_clause(self) -> For:
        self.i += 1
        if self.tok.kind != "word" or self.tok.word is None or not self.tok.word.literal():
            raise ShellSyntaxError("bad for loop variable")
        var = self._advance().value
        items: list[Word] | None = None
        self._skip_newlines()
        if self._is_reserved("in"):
            self.i += 1
            items = []
            while self.tok.kind == "word":
                items.append(self._advance().word)  # type: ignore[arg-type]
            if self._is_op(";"):
                self.i += 1
        elif self._is_op(";"):
            self.i += 1
        self._expect_reserved("do")
        body = self.command_list(terminators=("done",))
        self._expect_reserved("done")
        return For(var, items, body, self.redirects())

    def redirects(self) -> list[Redirect]:
        out = []
        while True:
            r = self._maybe_redirect()
            if r is None:
                return out
            out.append(r)

    def _maybe_redirect(self) -> Redirect | None:
        fd: int | None = None
        if self.tok.kind == "io":
            fd = int(self._advance().value)
        if not self._is_op("<", ">", ">>", ">&", "<&", "<>", ">|"):
            if fd is not None:
                raise ShellSyntaxError("redirection operator expected")
            return None
        op = self._advance().value
        if self.tok.kind != "word":
            raise ShellSyntaxError(f"missing target for {op}")
        target = self._advance().word
        assert target is not None
        if fd is None:
            fd = 0 if op in ("<", "<&", "<>") else 1
        return Redirect(fd, op, target)

    def simple_command(self) -> SimpleCommand:
        cmd = SimpleCommand()
        while True:
            r = self._maybe_redirect()
            if r is not None:
                cmd.redirects.append(r)
                continue
            if self.tok.kind != "word":
                break
            word = self.tok.word
            assert word is not None
            if not cmd.words:
                name = _assignment_name(word)
                if name is not None:
                    self.i += 1
                    cmd.assigns.append((name, _assignment_value(word, name)))
                    continue
            cmd.words.append(word)
            self.i += 1
        if not cmd.words and not cmd.assigns and not cmd.redirects:
            raise ShellSyntaxError(f"'{self.tok.value or 'end of file'}' unexpected")
        return cmd


def _assignment_name(word: Word) -> str | None:
    first = word.parts[0] if word.parts else None
    if not isinstance(first, Lit) or first.quoted or "=" not in first.text:
        return None
    name = first.text.split("=", 1)[0]
    if name and name[0] in _NAME_START and all(ch in _NAME_CHARS for ch in name):
        return name
    return None


def _assignment_value(word: Word, name: str) -> Word:
    first = word.parts[0]
    assert isinstance(first, Lit)
    rest = first.text[len(name) + 1 :]
    parts: list[Part] = [Lit(rest, False)] if rest else []
    parts.extend(word.parts[1:])
    return Word(parts or [Lit("", True)])


def parse(source: str) -> CommandList:
    """Parse a whole command line or script."""
    return _Parser(_Lexer(source).tokens()).program()
