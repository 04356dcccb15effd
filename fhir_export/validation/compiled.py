"""The shipped FHIRPath constraints compiled to Python closures, for speed: fhirpathpy takes
about 100 µs per evaluation, most constraints are simple (paths, exists(), empty(), =, or,
implies, where(), count(), ...) and a corpus bundle evaluates tens of thousands of them.

Only a subset of FHIRPath is compiled; an expression outside it is not compiled (None), and a
compiled one gives up at run time (raises Unsupported) whenever it meets anything whose meaning
needs more than plain JSON: a primitive with `_x` extensions, a possible choice element
(`value` when `valueString` is there), a non-string comparison other than numbers, a date, a
non-boolean operand of a logical operator. The caller then asks fhirpathpy, so the result is
always fhirpathpy's; tests/test_validate.py checks the two agree on every evaluation the golden
bundles and their broken variants make.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from .fhirpath import _parsed

Env = tuple[Any, Mapping[str, Any], Mapping[str, Any]]  # ($this, %resource, %rootResource)
Fn = Callable[[list[Any], Env], list[Any]]


class Unsupported(Exception):
    """This evaluation needs fhirpathpy."""


class _NotCompiled(Exception):
    pass


_DATE_LIKE = re.compile(r"^\d{4}(-|$)|^\d{2}:\d{2}")
# The names of the choice elements (value[x] -> "value") of R4 and R5: only a member of one of
# these names can be given as name + type ("valueString"); tests/test_validate.py checks the
# list against the shipped definitions and fhirpathpy's models.
CHOICE_NAMES = frozenset({
    "abatement", "actor", "additive", "address", "age", "allowed", "amount", "answer",
    "artifact", "asNeeded", "author", "born", "bounds", "characteristic", "chargeItem",
    "citeAs", "code", "collected", "concentration", "content", "cost", "coverage", "created",
    "date", "deceased", "defaultValue", "definingSubstance", "definition", "detail",
    "diagnosis", "dose", "doseNumber", "due", "duration", "effective", "endpoint", "entity",
    "event", "example", "fastingStatus", "fixed", "generatedBy", "identified", "indication",
    "instance", "instances", "instantiates", "instruction", "item", "legallyBinding", "link",
    "location", "manufacturer", "maxValue", "measureScore", "medication", "minValue",
    "minimumVolume", "module", "multipleBirth", "name", "network", "occurence", "occurred",
    "occurrence", "offset", "onset", "participantEffective", "pattern", "performed", "period",
    "presentation", "probability", "procedure", "product", "quantity", "rate", "reported",
    "scheduled", "sequence", "seriesDoses", "serviced", "source", "sourceScope", "start",
    "statusReason", "strength", "structureProfile", "studyEffective", "subject", "substance",
    "substanceDefinition", "target", "targetItem", "targetScope", "time", "timing", "topic",
    "used", "value", "versionAlgorithm", "when",
})


def _member(name: str, items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if not isinstance(item, dict):
            if name in ("extension", "id"):  # a primitive's own extensions
                raise Unsupported
            continue
        if "_" + name in item:
            raise Unsupported  # a primitive with extensions
        value = item.get(name)
        if value is None:
            if name in CHOICE_NAMES and any(
                k.startswith(name) and k[len(name):len(name) + 1].isupper() for k in item
            ):
                raise Unsupported  # perhaps a choice element (value -> valueString)
            continue
        if isinstance(value, list):
            if None in value:
                raise Unsupported  # fhirpathpy keeps JSON nulls as items
            out.extend(value)
        else:
            out.append(value)
    return out


def _descendants(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    todo = list(items)
    while todo:
        item = todo.pop()
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            if key == "resourceType":
                continue
            if key.startswith("_") or key == "fhir_comments":
                raise Unsupported
            found = value if isinstance(value, list) else [value]
            if None in found:
                raise Unsupported
            out.extend(found)
            todo.extend(found)
    return out


def _type_name(node: dict[str, Any]) -> str:
    while node.get("children"):
        node = node["children"][-1]
    return str(node.get("text", ""))


def _single(items: list[Any]) -> Any:
    if len(items) > 1:
        raise Unsupported
    return items[0] if items else None


def _boolean(items: list[Any]) -> bool | None:
    value = _single(items)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise Unsupported
    return value


def _primitive(value: Any) -> Any:
    if isinstance(value, dict | list):
        raise Unsupported
    if isinstance(value, str) and _DATE_LIKE.match(value):
        raise Unsupported
    return value


def _equal(a: Any, b: Any) -> bool:
    a, b = _primitive(a), _primitive(b)
    if isinstance(a, bool) != isinstance(b, bool) or isinstance(a, str) != isinstance(b, str):
        raise Unsupported
    return bool(a == b)


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unsupported
    return value


def _string(items: list[Any]) -> str | None:
    value = _single(items)
    if value is not None and not isinstance(value, str):
        raise Unsupported
    return value


def _logic(op: str, left: bool | None, right: bool | None) -> list[Any]:
    if op == "and":
        if left is False or right is False:
            return [False]
        return [True] if left is True and right is True else []
    if op == "or":
        if left is True or right is True:
            return [True]
        return [False] if left is False and right is False else []
    if op == "xor":
        return [] if left is None or right is None else [left != right]
    # implies
    if left is True:
        return [] if right is None else [right]
    if left is False:
        return [True]
    return [True] if right is True else []


def _unsupported(focus: list[Any], env: Env) -> list[Any]:
    """What the compiler does not know: fhirpathpy's, should an evaluation get here."""
    raise Unsupported


def _string_literal(node: dict[str, Any]) -> str | None:
    """The text of a plain string literal term ('display'), unless it has escapes or looks
    like a date or time (compared as such by fhirpathpy), else None."""
    while node.get("type") in (None, "TermExpression", "LiteralTerm") and len(
        node.get("children", [])
    ) == 1:
        node = node["children"][0]
    if node.get("type") != "StringLiteral":
        return None
    text = str(node["text"])[1:-1]
    return None if "\\" in text or _DATE_LIKE.match(text) else text


def _compared_text(items: list[Any]) -> str | None:
    """The one item compared with a known text, as _equal takes it: a string that does not
    look like a date (else Unsupported), or None when there is none."""
    a = _single(items)
    if a is not None and (not isinstance(a, str) or _DATE_LIKE.match(a)):
        raise Unsupported
    return a


def _string_literals(node: dict[str, Any]) -> frozenset[str] | None:
    """The texts of a union of plain string literals ('a' | 'b' | ...), or None."""
    while node.get("type") in ("TermExpression", "ParenthesizedTerm") and len(
        node.get("children", [])
    ) == 1:
        node = node["children"][0]
    if node.get("type") == "UnionExpression" and len(node.get("children", [])) == 2:
        left, right = (_string_literals(child) for child in node["children"])
        return None if left is None or right is None else left | right
    text = _string_literal(node)
    return None if text is None else frozenset({text})


def _compile(node: dict[str, Any]) -> Fn:
    kind = node.get("type")
    children = node.get("children", [])
    ops = node.get("terminalNodeText") or []
    if kind is None or kind in ("TermExpression", "ParenthesizedTerm", "InvocationTerm",
                                "LiteralTerm", "ExternalConstantTerm"):
        if len(children) != 1:
            raise _NotCompiled
        return _compile(children[0])
    if kind == "StringLiteral":
        text = node["text"][1:-1]
        if "\\" in text:
            return _unsupported
        return lambda focus, env: [text]
    if kind == "NumberLiteral":
        if not node["text"].isdigit():
            return _unsupported
        number = int(node["text"])
        return lambda focus, env: [number]
    if kind == "BooleanLiteral":
        flag = node["text"] == "true"
        return lambda focus, env: [flag]
    if kind == "ExternalConstant":
        name = children[0]["text"]
        if name == "resource":
            return lambda focus, env: [env[1]]
        if name == "rootResource":
            return lambda focus, env: [env[2]]
        return _unsupported
    if kind == "ThisInvocation":
        return lambda focus, env: [env[0]]
    if kind == "MemberInvocation":
        name = children[0]["text"].strip("`")
        if name[:1].isupper():  # a leading type name: the context resource itself
            def typed(focus: list[Any], env: Env) -> list[Any]:
                this = env[0]
                if isinstance(this, dict) and this.get("resourceType") == name:
                    return [this]
                raise Unsupported
            return typed
        return lambda focus, env: _member(name, focus)
    if kind == "InvocationExpression":
        source, step = _compile(children[0]), children[1]
        if step["type"] == "MemberInvocation":
            name = step["children"][0]["text"].strip("`")
            return lambda focus, env: _member(name, source(focus, env))
        if step["type"] == "FunctionInvocation":
            function = _function(step["children"][0])
            return lambda focus, env: function(source(focus, env), env)
        return _unsupported
    if kind == "FunctionInvocation":
        function = _function(children[0])
        return lambda focus, env: function([env[0]], env)
    if kind in ("OrExpression", "AndExpression", "ImpliesExpression"):
        left, right, op = _compile(children[0]), _compile(children[1]), ops[0]
        return lambda focus, env: _logic(
            op, _boolean(left(focus, env)), _boolean(right(focus, env)))
    if kind == "EqualityExpression":
        left, right, op = _compile(children[0]), _compile(children[1]), ops[0]
        if op not in ("=", "!="):
            return _unsupported
        literal = _string_literal(children[1])
        if literal is not None:  # "type = 'display'": what _equal does, with the text known
            def equals_text(focus: list[Any], env: Env) -> list[Any]:
                a = _compared_text(left(focus, env))
                return [] if a is None else [(a == literal) is (op == "=")]
            return equals_text

        def equality(focus: list[Any], env: Env) -> list[Any]:
            a, b = _single(left(focus, env)), _single(right(focus, env))
            if a is None or b is None:
                return []
            same = _equal(a, b)
            return [same if op == "=" else not same]
        return equality
    if kind == "InequalityExpression":
        left, right, op = _compile(children[0]), _compile(children[1]), ops[0]

        def inequality(focus: list[Any], env: Env) -> list[Any]:
            a, b = _single(left(focus, env)), _single(right(focus, env))
            if a is None or b is None:
                return []
            x, y = _number(a), _number(b)
            return [{"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]]
        return inequality
    if kind == "MembershipExpression" and ops == ["in"]:
        left, right = _compile(children[0]), _compile(children[1])
        texts = _string_literals(children[1])
        if texts:  # "type in ('boolean' | 'decimal' | ...)": membership, the texts known
            def in_texts(focus: list[Any], env: Env) -> list[Any]:
                a = _compared_text(left(focus, env))
                return [] if a is None else [a in texts]
            return in_texts

        def membership(focus: list[Any], env: Env) -> list[Any]:
            a = _single(left(focus, env))
            if a is None:
                return []
            return [any(_equal(a, b) for b in right(focus, env))]
        return membership
    if kind == "UnionExpression":
        left, right = _compile(children[0]), _compile(children[1])

        def union(focus: list[Any], env: Env) -> list[Any]:
            out: list[Any] = []
            for item in [*left(focus, env), *right(focus, env)]:
                if not any(_equal(item, seen) for seen in out):
                    out.append(item)
            return out
        return union
    if kind == "AdditiveExpression" and ops[0] in ("+", "&"):
        left, right, op = _compile(children[0]), _compile(children[1]), ops[0]

        def concatenate(focus: list[Any], env: Env) -> list[Any]:
            x, y = left(focus, env), right(focus, env)
            if op == "+" and any(isinstance(v, int) and not isinstance(v, bool) for v in x + y):
                a_number, b_number = _single(x), _single(y)
                if a_number is None or b_number is None:
                    return []
                return [_number(a_number) + _number(b_number)]
            a, b = _string(x), _string(y)
            if op == "+" and (a is None or b is None):
                return []
            return [(a or "") + (b or "")]
        return concatenate
    return _unsupported


def _function(node: dict[str, Any]) -> Callable[[list[Any], Env], list[Any]]:
    name = node["children"][0]["text"]
    params = node["children"][1]["children"] if len(node["children"]) > 1 else []
    args = [_compile(p) for p in params]

    def per_item(items: list[Any], env: Env, arg: Fn) -> list[list[Any]]:
        return [arg([item], (item, env[1], env[2])) for item in items]

    if name == "exists" and len(args) <= 1:
        if args:
            return lambda items, env: [any(_boolean(r) is True for r in per_item(
                items, env, args[0]))]
        return lambda items, env: [bool(items)]
    if name == "empty" and not args:
        return lambda items, env: [not items]
    if name == "not" and not args:
        def negate(items: list[Any], env: Env) -> list[Any]:
            value = _boolean(items)
            return [] if value is None else [not value]
        return negate
    if name == "count" and not args:
        return lambda items, env: [len(items)]
    if name == "first" and not args:
        return lambda items, env: items[:1]
    if name == "trace" and args:
        return lambda items, env: items
    if name == "where" and len(args) == 1:
        return lambda items, env: [
            item for item, r in zip(items, per_item(items, env, args[0]), strict=True)
            if _boolean(r) is True]
    if name == "all" and len(args) == 1:
        return lambda items, env: [all(_boolean(r) is True for r in per_item(
            items, env, args[0]))]
    if name == "select" and len(args) == 1:
        return lambda items, env: [v for r in per_item(items, env, args[0]) for v in r]
    if name == "allFalse" and not args:
        def all_false(items: list[Any], env: Env) -> list[Any]:
            if any(not isinstance(i, bool) for i in items):
                raise Unsupported
            return [not any(items)]
        return all_false
    if name == "isDistinct" and not args:
        def distinct(items: list[Any], env: Env) -> list[Any]:
            values = [_primitive(i) for i in items]
            if any(not isinstance(v, str) for v in values):
                raise Unsupported
            return [len(set(values)) == len(values)]
        return distinct
    if name == "iif" and len(args) == 3:
        def iif(items: list[Any], env: Env) -> list[Any]:
            this = _single(items)  # iif's criterion is evaluated on its focus
            focus = [this] if this is not None else []
            scope = (this, env[1], env[2]) if this is not None else env
            chosen = args[1] if _boolean(args[0](focus, scope)) is True else args[2]
            return chosen(focus, scope)
        return iif
    if name == "descendants" and not args:
        return lambda items, env: _descendants(items)
    if name == "is" and len(params) == 1:
        wanted = _type_name(params[0])

        def is_type(items: list[Any], env: Env) -> list[Any]:
            item = _single(items)
            if item is None:
                return []
            if not isinstance(item, dict) or "resourceType" not in item:
                raise Unsupported
            return [item["resourceType"] == wanted]
        return is_type
    if name == "matches" and len(args) == 1:
        def matches(items: list[Any], env: Env) -> list[Any]:
            regex = _string(args[0]([env[0]], env))
            if not regex or not items:
                return []
            text = _string(items)
            return [re.search(re.compile(str(regex), re.DOTALL), str(text)) is not None]
        return matches
    if name == "hasValue" and not args:
        return lambda items, env: [len(items) == 1 and not isinstance(items[0], dict | list)]
    if name in ("startsWith", "contains") and len(args) == 1:
        def text_test(items: list[Any], env: Env) -> list[Any]:
            text, other = _string(items), _string(args[0]([env[0]], env))
            if text is None or other is None:
                return []
            return [text.startswith(other) if name == "startsWith" else other in text]
        return text_test
    if name == "length" and not args:
        def length(items: list[Any], env: Env) -> list[Any]:
            text = _string(items)
            return [] if text is None else [len(text)]
        return length
    return _unsupported


@lru_cache(maxsize=1024)
def compiled(expression: str) -> Fn | None:
    """The closure of `expression` (call it with ([node], (node, resource, root))), or None
    when it uses FHIRPath this module does not compile."""
    try:
        return _compile(_parsed(expression))
    except (_NotCompiled, KeyError, IndexError):
        return None
