#!/usr/bin/env python3
"""Two rules on the sources, run by ctest (tests/CMakeLists.txt):

  source_rules.py function-length ROOT BUILD   no function in src/ longer than 150 lines,
                                               except those in long_functions_allowed.txt
  source_rules.py history ROOT BUILD           no project history in comments and docs:
                                               tracker numbers, numbered or dated work, "used to"

Functions come from clang's parser: libclang's C API through ctypes (libclang1-14 comes with
clang-14, which scripts/install-deps.sh installs for the fuzz targets). A file is parsed as
the compiler sees it, with the include paths and definitions of BUILD/compile_commands.json,
which costs seconds for a file that includes the JSON library or Boost. So every file is
first lexed alone (clang's lexer, #includes not followed: milliseconds), and only a file
with a brace block (a namespace's, a class's or an enum's aside) spanning more than 150
lines from its head is parsed in full; a function that long needs such a block. `--all`
parses every file in full, to confirm that by hand.

A function's length is its lines from the first of its declaration (template header and
return type included) to its closing brace; a lambda counts in the function around it, and a
lambda held by a variable at namespace scope counts as a function of that name.
"""

import argparse
import ctypes
import ctypes.util
import json
import os
import re
import shlex
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

MAX_FUNCTION_LINES = 150
ALLOW_LIST = "tests/tools/long_functions_allowed.txt"


# --- libclang -------------------------------------------------------------------------


class CXString(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("flags", ctypes.c_uint)]


class CXCursor(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_int), ("xdata", ctypes.c_int), ("data", ctypes.c_void_p * 3)]


class CXSourceLocation(ctypes.Structure):
    _fields_ = [("ptr_data", ctypes.c_void_p * 2), ("int_data", ctypes.c_uint)]


class CXSourceRange(ctypes.Structure):
    _fields_ = [("ptr_data", ctypes.c_void_p * 2), ("begin", ctypes.c_uint), ("end", ctypes.c_uint)]


class CXToken(ctypes.Structure):
    _fields_ = [("int_data", ctypes.c_uint * 4), ("ptr_data", ctypes.c_void_p)]


VISITOR = ctypes.CFUNCTYPE(ctypes.c_int, CXCursor, CXCursor, ctypes.c_void_p)
CHILD_BREAK, CHILD_CONTINUE, CHILD_RECURSE = 0, 1, 2

# CXCursorKind values (clang-c/Index.h).
STRUCT, UNION, CLASS, FUNCTION, VARIABLE = 2, 3, 4, 8, 9
METHOD, NAMESPACE, LINKAGE_SPEC, CONSTRUCTOR, DESTRUCTOR, CONVERSION = 21, 22, 23, 24, 25, 26
FUNCTION_TEMPLATE, CLASS_TEMPLATE, CLASS_PARTIAL_SPECIALIZATION = 30, 31, 32
UNEXPOSED_DECL, LAMBDA = 1, 144
FUNCTION_KINDS = {FUNCTION, METHOD, CONSTRUCTOR, DESTRUCTOR, CONVERSION, FUNCTION_TEMPLATE}
SCOPE_KINDS = {NAMESPACE, LINKAGE_SPEC, STRUCT, UNION, CLASS, CLASS_TEMPLATE, CLASS_PARTIAL_SPECIALIZATION,
               UNEXPOSED_DECL}
TOKEN_COMMENT = 4
DIAGNOSTIC_ERROR, DIAGNOSTIC_FATAL = 3, 4
SINGLE_FILE_PARSE = 0x400
KEEP_GOING = 0x200


def load_libclang():
    candidates = [os.environ.get("APEX_LIBCLANG"), ctypes.util.find_library("clang-14"),
                  "/usr/lib/llvm-14/lib/libclang-14.so.1", "/usr/lib/x86_64-linux-gnu/libclang-14.so.1",
                  ctypes.util.find_library("clang")]
    for path in filter(None, candidates):
        try:
            lib = ctypes.CDLL(path)
            break
        except OSError:
            continue
    else:
        sys.exit("source_rules: libclang not found (Debian's libclang1-14, which clang-14 brings; "
                 "scripts/install-deps.sh installs both); APEX_LIBCLANG names another")
    signatures = {
        "clang_createIndex": (ctypes.c_void_p, [ctypes.c_int, ctypes.c_int]),
        "clang_disposeIndex": (None, [ctypes.c_void_p]),
        "clang_parseTranslationUnit2": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p,
                                                       ctypes.POINTER(ctypes.c_char_p), ctypes.c_int,
                                                       ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint,
                                                       ctypes.POINTER(ctypes.c_void_p)]),
        "clang_disposeTranslationUnit": (None, [ctypes.c_void_p]),
        "clang_getTranslationUnitCursor": (CXCursor, [ctypes.c_void_p]),
        "clang_visitChildren": (ctypes.c_uint, [CXCursor, VISITOR, ctypes.c_void_p]),
        "clang_isCursorDefinition": (ctypes.c_uint, [CXCursor]),
        "clang_getCursorExtent": (CXSourceRange, [CXCursor]),
        "clang_getCursorSpelling": (CXString, [CXCursor]),
        "clang_getRangeStart": (CXSourceLocation, [CXSourceRange]),
        "clang_getRangeEnd": (CXSourceLocation, [CXSourceRange]),
        "clang_getExpansionLocation": (None, [CXSourceLocation, ctypes.POINTER(ctypes.c_void_p),
                                              ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(ctypes.c_uint),
                                              ctypes.POINTER(ctypes.c_uint)]),
        "clang_getFile": (ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_char_p]),
        "clang_getFileName": (CXString, [ctypes.c_void_p]),
        "clang_getLocationForOffset": (CXSourceLocation, [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint]),
        "clang_getRange": (CXSourceRange, [CXSourceLocation, CXSourceLocation]),
        "clang_tokenize": (None, [ctypes.c_void_p, CXSourceRange, ctypes.POINTER(ctypes.POINTER(CXToken)),
                                  ctypes.POINTER(ctypes.c_uint)]),
        "clang_disposeTokens": (None, [ctypes.c_void_p, ctypes.POINTER(CXToken), ctypes.c_uint]),
        "clang_getTokenKind": (ctypes.c_int, [CXToken]),
        "clang_getTokenSpelling": (CXString, [ctypes.c_void_p, CXToken]),
        "clang_getTokenExtent": (CXSourceRange, [ctypes.c_void_p, CXToken]),
        "clang_getNumDiagnostics": (ctypes.c_uint, [ctypes.c_void_p]),
        "clang_getDiagnostic": (ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_uint]),
        "clang_getDiagnosticSeverity": (ctypes.c_int, [ctypes.c_void_p]),
        "clang_formatDiagnostic": (CXString, [ctypes.c_void_p, ctypes.c_uint]),
        "clang_disposeDiagnostic": (None, [ctypes.c_void_p]),
        "clang_getCString": (ctypes.c_char_p, [CXString]),
        "clang_disposeString": (None, [CXString]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


@dataclass
class Function:
    path: str  # relative to the root
    name: str
    first: int
    last: int

    @property
    def lines(self):
        return self.last - self.first + 1


class CppFile:
    """One C++ file parsed by libclang: its function definitions and its comments."""

    def __init__(self, lib, index, path, args, flags):
        self.lib = lib
        self.path = path
        self.real_path = os.path.realpath(path)
        self.file_names = {}  # name as clang spells it -> whether it is this file
        self.tu = ctypes.c_void_p()
        argv = (ctypes.c_char_p * len(args))(*[a.encode() for a in args])
        error = lib.clang_parseTranslationUnit2(index, str(path).encode(), argv, len(args), None, 0, flags,
                                                ctypes.byref(self.tu))
        if error or not self.tu:
            sys.exit(f"source_rules: libclang could not parse {path} (error {error})")

    def close(self):
        self.lib.clang_disposeTranslationUnit(self.tu)

    def _string(self, cx):
        raw = self.lib.clang_getCString(cx)
        self.lib.clang_disposeString(cx)
        return raw.decode("utf-8", "replace") if raw else ""

    def _where(self, location):
        file, line, column, offset = ctypes.c_void_p(), ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
        self.lib.clang_getExpansionLocation(location, ctypes.byref(file), ctypes.byref(line),
                                            ctypes.byref(column), ctypes.byref(offset))
        name = self._string(self.lib.clang_getFileName(file)) if file.value else ""
        return name, line.value

    def _in_this_file(self, name):
        if name not in self.file_names:
            self.file_names[name] = bool(name) and os.path.realpath(name) == self.real_path
        return self.file_names[name]

    def functions(self, relative):
        """Function definitions at namespace or class scope, with lambdas held by variables there."""
        lib, found = self.lib, []

        def extent(cursor):
            span = lib.clang_getCursorExtent(cursor)
            start_file, first = self._where(lib.clang_getRangeStart(span))
            _, last = self._where(lib.clang_getRangeEnd(span))
            return start_file, first, last

        def holds_lambda(cursor):
            seen = []

            @VISITOR
            def look(child, _parent, _data):
                if child.kind == LAMBDA:
                    seen.append(True)
                    return CHILD_BREAK
                return CHILD_RECURSE

            lib.clang_visitChildren(cursor, look, None)
            return bool(seen)

        def visit_scope(scope, prefix):
            @VISITOR
            def visit(cursor, _parent, _data):
                start_file, first, last = extent(cursor)
                if not self._in_this_file(start_file):
                    return CHILD_CONTINUE
                name = self._string(lib.clang_getCursorSpelling(cursor))
                if cursor.kind in FUNCTION_KINDS:
                    if lib.clang_isCursorDefinition(cursor):
                        found.append(Function(relative, prefix + name, first, last))
                elif cursor.kind == VARIABLE and last > first and holds_lambda(cursor):
                    found.append(Function(relative, prefix + name, first, last))
                elif cursor.kind in SCOPE_KINDS:
                    inner = prefix
                    if cursor.kind in (STRUCT, UNION, CLASS, CLASS_TEMPLATE, CLASS_PARTIAL_SPECIALIZATION) and name:
                        inner = prefix + name + "::"
                    visit_scope(cursor, inner)
                return CHILD_CONTINUE

            lib.clang_visitChildren(scope, visit, None)

        visit_scope(lib.clang_getTranslationUnitCursor(self.tu), "")
        return found

    def errors(self):
        """The parse's errors, formatted, and whether one was fatal (clang stopped there)."""
        out, fatal = [], False
        for i in range(self.lib.clang_getNumDiagnostics(self.tu)):
            diagnostic = self.lib.clang_getDiagnostic(self.tu, i)
            severity = self.lib.clang_getDiagnosticSeverity(diagnostic)
            if severity >= DIAGNOSTIC_ERROR:
                out.append(self._string(self.lib.clang_formatDiagnostic(diagnostic, 0x3)))
                fatal = fatal or severity >= DIAGNOSTIC_FATAL
            self.lib.clang_disposeDiagnostic(diagnostic)
        return out, fatal

    def tokens(self):
        """(kind, spelling, line) of every token of the file, comments included, from clang's lexer."""
        lib = self.lib
        size = os.path.getsize(self.path)
        file = lib.clang_getFile(self.tu, str(self.path).encode())
        span = lib.clang_getRange(lib.clang_getLocationForOffset(self.tu, file, 0),
                                  lib.clang_getLocationForOffset(self.tu, file, size))
        tokens, count = ctypes.POINTER(CXToken)(), ctypes.c_uint()
        lib.clang_tokenize(self.tu, span, ctypes.byref(tokens), ctypes.byref(count))
        out = []
        for i in range(count.value):
            _, line = self._where(lib.clang_getRangeStart(lib.clang_getTokenExtent(self.tu, tokens[i])))
            out.append((lib.clang_getTokenKind(tokens[i]), self._string(lib.clang_getTokenSpelling(self.tu, tokens[i])),
                        line))
        lib.clang_disposeTokens(self.tu, tokens, count)
        return out

    def comments(self):
        """(line, text) for every line of every comment."""
        lines = []
        for kind, text, first in self.tokens():
            if kind == TOKEN_COMMENT:
                lines.extend((first + n, part) for n, part in enumerate(text.split("\n")))
        return lines

    def may_hold_long_function(self, limit):
        """False when no brace block but a namespace's, a class's or an enum's spans more than
        `limit` lines counted from the first token of its head (the declaration before the
        brace): then no function in the file is longer, and the full parse can be skipped."""
        code = []
        directive_line = None
        for kind, text, line in self.tokens():
            if kind == TOKEN_COMMENT or line == directive_line:
                continue
            if text == "#" and (not code or code[-1][2] != line):
                directive_line = line  # a preprocessor line: its braces are not code
                continue
            code.append((kind, text, line))
        open_blocks, head_start = [], 0
        for i, (_, text, line) in enumerate(code):
            if text == "{":
                head = [t for _, t, _ in code[head_start:i]]
                scope = "namespace" in head or (head[:2] == ["extern", "\"C\""]) or (
                    any(t in ("class", "struct", "union", "enum") for t in head) and "(" not in head)
                first_line = code[head_start][2] if head_start < i else line
                open_blocks.append((first_line, scope))
                head_start = i + 1
            elif text == "}":
                if not open_blocks:
                    return True  # unbalanced: let the parser decide
                first_line, scope = open_blocks.pop()
                if not scope and line - first_line + 1 > limit:
                    return True
                head_start = i + 1
            elif text == ";":
                head_start = i + 1
        return bool(open_blocks)


def compile_arguments(build_dir):
    """-I, -isystem, -D and -std of the build's compile commands: the parse then follows
    #includes as the compiler does."""
    path = Path(build_dir) / "compile_commands.json"
    if not path.is_file():
        sys.exit(f"source_rules: {path} is missing (CMAKE_EXPORT_COMPILE_COMMANDS; configure the build first)")
    wanted = []
    for entry in json.loads(path.read_text()):
        words = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
        for i, word in enumerate(words):
            if word in ("-I", "-isystem") and i + 1 < len(words):
                item = (word, words[i + 1])
            elif word.startswith(("-I", "-D", "-std=")):
                item = (word,)
            else:
                continue
            if item not in wanted:
                wanted.append(item)
    # clang 14 cannot see libstdc++ 12's std::expected (it needs __cpp_concepts >= 202002L);
    # the fuzz build's stand-in shadows <expected> for it.
    compat = Path(__file__).resolve().parent.parent / "fuzz" / "compat"
    arguments = ["-isystem", str(compat)]
    for item in wanted:
        arguments += [re.sub(r"^-std=(gnu|c)\+\+2[3b]$", "-std=c++2b", word) for word in item]
    return arguments


class Parser:
    """Two parses of one file: lex_only (the file alone, its #includes not followed: tokens
    and comments, in milliseconds) and full (with the build's includes, as the compiler sees
    it: seconds for a file including the JSON library or Boost)."""

    def __init__(self, build_dir=None):
        self.lib = load_libclang()
        self.index = self.lib.clang_createIndex(0, 0)
        self.full_arguments = compile_arguments(build_dir) if build_dir else None

    def lex_only(self, path):
        return CppFile(self.lib, self.index, path, ["-x", "c++", "-std=c++2b", "-w"],
                       SINGLE_FILE_PARSE | KEEP_GOING)

    def full(self, path):
        """A fatal error (a header not found: the build's flags do not fit) stops the parse
        there, so its functions are not known: that fails. Other errors are clang 14 refusing
        C++ that g++ 12 accepts (a lambda capturing a structured binding) or a header that only
        a unity batch supplies; clang recovers from them and the extents stand, so they are
        only printed."""
        parsed = CppFile(self.lib, self.index, path, ["-x", "c++", "-w", "-ferror-limit=0"] + self.full_arguments, 0)
        errors, fatal = parsed.errors()
        if fatal:
            sys.exit(f"source_rules: clang could not parse {path} with the build's flags, so its functions "
                     f"are not known:\n  " + "\n  ".join(errors[:10]))
        if errors:
            print(f"note: clang 14 reports {len(errors)} error(s) in {path} and parsed on; the first: {errors[0]}")
        return parsed


# --- the function length rule ---------------------------------------------------------


def read_allow_list(root):
    allowed = {}
    for number, line in enumerate((root / ALLOW_LIST).read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 3 or not parts[2].isdigit():
            sys.exit(f"{ALLOW_LIST}:{number}: expected 'path function lines', got {line!r}")
        allowed[(parts[0], parts[1])] = int(parts[2])
    return allowed


def src_functions(root, parser, parse_all):
    """Every function of src/ the length rule must see: all of them with parse_all, else those
    of the files whose tokens leave room for one longer than the limit."""
    functions, files, parsed_fully = [], 0, []
    for path in sorted(p for p in (root / "src").rglob("*") if p.suffix in (".cpp", ".h")):
        files += 1
        if not parse_all:
            lexed = parser.lex_only(path)
            candidate = lexed.may_hold_long_function(MAX_FUNCTION_LINES)
            lexed.close()
            if not candidate:
                continue
        parsed = parser.full(path)
        functions += parsed.functions(str(path.relative_to(root)))
        parsed.close()
        parsed_fully.append(str(path.relative_to(root)))
    return functions, files, parsed_fully


def function_length(root, args):
    parser = Parser(args.build_dir)
    functions, files, parsed_fully = src_functions(root, parser, args.all)
    long_ones = {}
    for f in functions:
        if f.lines > MAX_FUNCTION_LINES:
            # Two definitions of one name in one file (overloads): the longer is listed.
            key = (f.path, f.name)
            if key not in long_ones or long_ones[key].lines < f.lines:
                long_ones[key] = f
    allowed = read_allow_list(root)
    failures, notes = [], []
    for key, f in sorted(long_ones.items()):
        where = f"{f.path}:{f.first}: {f.name}: {f.lines} lines"
        if key not in allowed:
            failures.append(f"{where} (longer than {MAX_FUNCTION_LINES}; split it)")
        elif f.lines > allowed[key]:
            failures.append(f"{where}, more than the {allowed[key]} {ALLOW_LIST} allows; split it")
        elif f.lines < allowed[key]:
            notes.append(f"{where}: shorter than the {allowed[key]} listed; lower the count in {ALLOW_LIST}")
    for key, listed in sorted(allowed.items()):
        if key not in long_ones:
            failures.append(f"{key[0]}: {key[1]} (listed with {listed} lines) is gone or at most "
                            f"{MAX_FUNCTION_LINES} lines now: take it out of {ALLOW_LIST}")
    print(f"function-length: {files} files of src/ lexed; {len(parsed_fully)} parsed with the build's flags "
          f"(a block of theirs spans more than {MAX_FUNCTION_LINES} lines): {', '.join(parsed_fully) or 'none'}")
    print(f"functions longer than {MAX_FUNCTION_LINES} lines (from the first line of the declaration "
          f"to the closing brace), {ALLOW_LIST}:")
    for f in sorted(long_ones.values(), key=lambda f: -f.lines):
        state = "allowed" if (f.path, f.name) in allowed else "NOT ALLOWED"
        print(f"  {f.lines:5d}  {f.path}:{f.first}  {f.name}  ({state})")
    for note in notes:
        print(f"note: {note}")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


# --- the history rule -----------------------------------------------------------------

# A race session (R1, "this session's laps", /session/R1/) is the domain's word, and so is
# a car number (#46): only a period of work, numbered or placed in time, and a tracker's
# entry are history.
ORDINAL = (r"(?:third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
           r"\d+(?:st|nd|rd|th))")
AUXILIARY = r"(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )(?<!\bbe )(?<!\bbeen )(?<!\bbeing )(?<!\bget )(?<!\bgets )"
HISTORY = [
    (r"\b(?:issues?|PR|pull request|ticket)\s*#?\d+", "an issue number"),
    (r"\bthe issue(?:'s|\s+(?:states|asks|names?|says|lists|wants|requires|sets))\b", "an issue of the tracker"),
    (r"\bsessions?\s+#?\d+\b", "a numbered work session"),
    (rf"\b{ORDINAL}\s+session\b", "a numbered work session"),
    (r"\b(?:last|earlier|previous|prior|past|later|former)\s+sessions\b", "a work session"),
    (r"\b(?:an?|the|this|that|one)\s+(?:earlier|previous|prior|past|later|former)\s+session\b"
     r"(?!\s*(?:id|ids|token|tokens|name|names|key|keys|file|files|'s))", "a work session"),
    (r"\b(?:in|by|during|since|until|before|after|from|than)\s+(?:the\s+)?last\s+session\b", "a work session"),
    (r"\b(?:earlier|later)\s+this\s+session\b", "a work session"),
    (r"\bthis\s+session'?s\s+(?:code|work|changes?|review|commits?|builds?|trial|fix(?:es)?)\b", "a work session"),
    (r"\b(?:filed|written|done)\s+by\s+a\s+session\b", "a work session"),
    (r"\bpreviously\b", "'previously'"),
    (AUXILIARY + r"\b(?:it|they|we|he|she|this|that|which|who|there)\s+used\s+to\b", "'used to'"),
    (AUXILIARY + r"\bused\s+to\s+be\b", "'used to'"),
    (r"\b(?:was|were|has been|have been)\s+changed\b", "'was changed'"),
    (r"\b(?:earlier|previous|prior|former)\s+versions?\b", "'an earlier version'"),
    (r"\b(?:an?|the)\s+(?:earlier|older|previous|former|old)\s+(?:reader|parser|server|implementation|design|"
     r"code|loader|uploader|approach)\b", "'an earlier version'"),
    (r"\b(?:before|after)\s+(?:this|the)\s+(?:change|fix|commit|rewrite|refactor(?:ing)?)\b", "a change"),
    (r"\bthis\s+(?:commit|change|PR)\b", "a change"),
    (r"\(20\d\d-\d\d", "a date"),
    (r"(?<![\w-])20\d\d-[01]\d-[0-3]\d(?![\w:-])", "a date"),
    (r"\b(?:on|in|since|until|as of)\s+(?:January|February|March|April|May|June|July|August|September|"
     r"October|November|December)\s+20\d\d\b", "a date"),
]
HISTORY_RE = [(re.compile(pattern, re.IGNORECASE), what) for pattern, what in HISTORY]
# A quoted example in a comment ("2025-03-30", `/session/R1/`) is data, not history.
QUOTED = re.compile(r"\"[^\"]{0,200}\"|`[^`]{0,200}`|(?<!\w)'[^'\s][^']{0,60}'(?!\w)")


COMMENT_MARK = re.compile(r"^\s*(?://+|/\*+|\*+/?|#+)?\s?")


def history_hits(lines):
    """(line, text, what, words) for each history phrase in (line, text) comment lines. Runs
    of consecutive lines are read as one text, so a phrase broken across lines is found."""
    hits, run = [], []

    def check(run):
        text, starts = "", []
        for number, line in run:
            starts.append((len(text), number, line))
            text += COMMENT_MARK.sub("", line, count=1).rstrip() + " "
        unquoted = QUOTED.sub(lambda m: " " * len(m.group(0)), text)
        seen = set()
        for pattern, what in HISTORY_RE:
            for match in pattern.finditer(unquoted):
                offset, number, line = [s for s in starts if s[0] <= match.start()][-1]
                if number not in seen:
                    seen.add(number)
                    hits.append((number, line, what, " ".join(match.group(0).split())))
        return hits

    for number, line in lines:
        if run and number != run[-1][0] + 1:
            check(run)
            run = []
        run.append((number, line))
    if run:
        check(run)
    return sorted(hits)


def hash_comments(path):
    """Comment lines of shell, CMake, Makefile and Dockerfile text: '#' outside quotes, at
    the line's start or after a blank ($# and ${#x} are not comments)."""
    out = []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        quote = None
        for i, c in enumerate(line):
            if quote:
                if c == quote:
                    quote = None
            elif c in "\"'":
                quote = c
            elif c == "#" and (i == 0 or line[i - 1] in " \t"):
                if not (i == 0 and line.startswith("#!")):
                    out.append((number, line[i:]))
                break
    return out


def python_comments(path):
    with open(path, "rb") as source:
        return [(t.start[0], t.string) for t in tokenize.tokenize(source.readline) if t.type == tokenize.COMMENT]


REGEX_BEFORE = set("(,=:[!&|?{};+-*%<>~^") | {""}


def script_comments(path):
    """Comments of TypeScript and JavaScript: a small lexer for strings, template literals
    (with ${} nesting), regular expression literals and both comment forms."""
    text, out, i, line = path.read_text(errors="replace"), [], 0, 1
    braces = []  # for each open ${ or {: True when it opened a template substitution
    last = ""  # the last significant character or word before a '/', to tell division from a regex

    def emit(start, end, first_line):
        for n, part in enumerate(text[start:end].split("\n")):
            out.append((first_line + n, part))

    while i < len(text):
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            emit(i, end, line)
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = len(text) if end < 0 else end + 2
            emit(i, end, line)
            line += text.count("\n", i, end)
            i = end
        elif c in "\"'":
            j = i + 1
            while j < len(text) and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            i, last = j + 1, "a"
        elif c == "`" or (c == "}" and braces and braces[-1]):
            if c == "}":
                braces.pop()
            j = i + 1
            while j < len(text) and text[j] != "`":
                if text[j] == "\\":
                    j += 2
                    continue
                if text.startswith("${", j):
                    braces.append(True)
                    j += 2
                    break
                line += text[j] == "\n"
                j += 1
            else:
                j += 1
            i, last = j, "a"
        elif c == "/" and (last in REGEX_BEFORE or last in ("return", "typeof", "case")):
            j, in_class = i + 1, False
            while j < len(text) and text[j] != "\n":
                if text[j] == "\\":
                    j += 2
                    continue
                if text[j] == "[":
                    in_class = True
                elif text[j] == "]":
                    in_class = False
                elif text[j] == "/" and not in_class:
                    break
                j += 1
            i, last = j + 1, "a"
        elif c.isalnum() or c in "_$":
            j = i
            while j < len(text) and (text[j].isalnum() or text[j] in "_$"):
                j += 1
            last, i = text[i:j], j
        else:
            if c == "{":
                braces.append(False)
            elif c == "}" and braces:
                braces.pop()
            last = c if c not in ")]" else "a"
            i += 1
    return out


def markdown_prose(path):
    """Lines of a Markdown file outside fenced code blocks."""
    out, fenced = [], False
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            out.append((number, line))
    return out


SKIPPED_FOLDERS = {".git", "node_modules", "dist", "fixtures"}


def repository_files(root):
    """Relative paths of the repository's files, without build trees and installed packages."""
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders
                               if d not in SKIPPED_FOLDERS and not d.startswith("build")
                               and not (Path(folder) / d / "CMakeCache.txt").exists())
        for name in sorted(names):
            yield (Path(folder) / name).relative_to(root)


def history_kind(path):
    """Which reader finds the comments of a file (relative path), or None: not read.
    bench/*.md are dated measurements and are not read."""
    top, name, suffix = path.parts[0], path.name, path.suffix
    if top in ("src", "tests", "bench") and suffix in (".cpp", ".h") or path.parent == Path("tests/fuzz/compat"):
        return "cpp"
    if (top == "web" and suffix == ".ts") or (top in ("tests", "bench") and suffix == ".mjs"):
        return "script"
    if top in ("tests", "bench", "scripts") and suffix == ".py":
        return "python"
    if (suffix == ".sh" and top in ("scripts", "bench", "tests")) or name in ("Makefile", "make.sh", "CMakeLists.txt") \
            or top == ".ci" or (top == "deploy" and (name.startswith("Dockerfile") or suffix == ".yaml")):
        return "hash"
    if suffix == ".md" and top != "bench" and (len(path.parts) == 1 or top in ("docs", "data", "reference", "tests")):
        return "markdown"
    return None


def history_sources(root):
    """(path, kind) of every file the history rule reads."""
    found = []
    for relative in repository_files(root):
        kind = history_kind(relative)
        if kind:
            found.append((root / relative, kind))
    return found


def history(root, args):
    parser = Parser(args.build_dir)
    readers = {"script": script_comments, "python": python_comments, "hash": hash_comments,
               "markdown": markdown_prose}
    found, scanned = [], 0
    for path, kind in history_sources(root):
        relative = str(path.relative_to(root))
        if kind == "cpp":
            lexed = parser.lex_only(path)
            lines = lexed.comments()
            lexed.close()
        else:
            lines = readers[kind](path)
        scanned += 1
        hits = history_hits(lines)
        functions = []
        if hits and kind == "cpp" and parser.full_arguments:
            parsed = parser.full(path)  # only to name the functions the comments sit in
            functions = parsed.functions(relative)
            parsed.close()
        for number, text, what, words in hits:
            inside = [f for f in functions if f.first <= number <= f.last]
            where = f" (in {inside[-1].name})" if inside else ""
            found.append(f"{relative}:{number}{where}: {what} ({words!r}): {text.strip()}")
    print(f"history: {scanned} files read")
    for line in found:
        print(f"FAIL: {line}")
    if found:
        print(f"{len(found)} comment lines tell history; say what the code is and why, and leave "
              "the history to git (bench/README.md holds dated measurements)")
    return 1 if found else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rule", choices=["function-length", "history"])
    parser.add_argument("root", type=Path, help="the repository")
    parser.add_argument("build_dir", type=Path, help="a build tree of it: its compile_commands.json gives "
                        "the include paths and definitions the full parse uses")
    parser.add_argument("--all", action="store_true",
                        help="function-length: parse every file of src/ with the build's flags (minutes), "
                        "not only those whose tokens leave room for a long function")
    args = parser.parse_args()
    root = args.root.resolve()
    return function_length(root, args) if args.rule == "function-length" else history(root, args)


if __name__ == "__main__":
    sys.exit(main())
