"""Resources -> one Bundle (transaction | batch | collection), checked against the models.

transaction and collection: fullUrl urn:uuid:<id>, references between entries use fullUrls.
batch: a server does not resolve urn:uuid references inside a batch, so references become
relative ('MedicationKnowledge/<id>'); every entry is still a PUT of a deterministic id.
"""

from __future__ import annotations

import marshal
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from . import bundle_check
from .mapping.ids import full_url, relative_references, resource_id
from .mapping.merge import is_frozen, unpacked
from .options import BundleType

JSON = dict[str, Any]


def _strip_hints(resource: JSON) -> JSON:
    return {k: v for k, v in resource.items() if not k.startswith("@")}


@cache
def bundle_model(fhir_version: str) -> Any:
    """The Bundle model class of a release: R4B's for R4 (identical for what is written), the
    R5 one (fhir.resources' top-level package) for R5. Imported on first use."""
    if fhir_version == "R4":
        return Bundle
    if fhir_version == "R5":
        from fhir.resources.bundle import Bundle as R5Bundle

        return R5Bundle
    raise ValueError(f"unknown FHIR version {fhir_version!r} (R4 or R5)")


def build(
    resources: list[JSON], *, bundle_type: BundleType, key: str, fhir_version: str = "R4"
) -> JSON:
    """The Bundle as FHIR JSON in specification order, checked against the models of
    `fhir_version` (R4: fhir.resources' R4B models; R5: its R5 models) by bundle_check, which
    rejects what their validation rejects at a tenth of its cost (BundleCheckError)."""
    clean = [_strip_hints(r) for r in resources]
    if bundle_type is BundleType.BATCH:
        urls = {full_url(r["id"]): f"{r['resourceType']}/{r['id']}" for r in clean}
        clean = [relative_references(r, urls) for r in clean]
    data = _shell(bundle_type, key) | {"entry": [_entry(r, bundle_type) for r in clean]}
    return bundle_check.check(bundle_model(fhir_version), data)


def _shell(bundle_type: BundleType, key: str) -> JSON:
    return {"resourceType": "Bundle", "id": resource_id("Bundle", key), "type": bundle_type.value}


def _entry(resource: JSON, bundle_type: BundleType) -> JSON:
    entry: JSON = {"fullUrl": full_url(resource["id"]), "resource": resource}
    if bundle_type is not BundleType.COLLECTION:
        entry["request"] = {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"}
    return entry


class Stream:
    """The Bundle build() makes, checked entry by entry as its entries stream, so that it is
    never whole in memory: `shell` is the Bundle without its entries (checked when made; its
    elements all come before 'entry' in specification order), entry() each entry checked
    (in specification order), finish() when all were given. A broken entry fails with the
    BundleCheckError build() fails with for the same resources (the path from the Bundle:
    check() of the whole walks its shell first, then the entries in order, as here).

    The resources come as build() would have them after its batch step: references between
    entries already relative for a batch (see merge.Corpus's `relative`). Counts resources
    per type (manifest.bundle_counts of the Bundle) and entries."""

    def __init__(self, *, bundle_type: BundleType, key: str, fhir_version: str = "R4") -> None:
        model = bundle_model(fhir_version)
        self.bundle_type = bundle_type
        self.shell = bundle_check.check(model, _shell(bundle_type, key))
        self.entry_model = bundle_check.complex_model(bundle_check.plan(model).fields["entry"][1])
        self.types: Counter[str] = Counter()
        self.entries = 0

    def entry(self, resource: JSON) -> JSON:
        clean = _strip_hints(resource)
        try:
            checked = bundle_check.check(self.entry_model, _entry(clean, self.bundle_type))
        except bundle_check.BundleCheckError as exc:
            exc.steps += [f"[{self.entries}]", ".entry"]
            raise
        self.entries += 1
        self.types[str(clean.get("resourceType"))] += 1
        return checked

    def spliced(self, resource: JSON, load: Callable[[bytes], Any] = marshal.loads,
                ) -> tuple[JSON, list[Splice]]:
        """entry() of a resource whose lists may end with frozen items (marshal bytes, see
        merge.Corpus.take: a medicine's sources), without loading them all at once: the
        entry checked without them (a list of frozen items only keeps its first, loaded),
        each such list ending with a marker (a Splice's token, in entry order) whose items()
        load and check its frozen items one at a time. Whatever fails, the resource is then
        checked whole (every item loaded), so that the error is the one entry() gives."""
        skeleton, found = _split(resource, (), load)
        if not found:
            return self.entry(resource), []
        try:
            entry = self.entry(skeleton)
        except bundle_check.BundleCheckError:
            self._fail_whole(resource, load, counted=False)
            raise
        try:
            splices = [Splice(self, resource, self._item_model(resource, path), str(path[-1]),
                              frozen, load) for path, frozen in found]
        except bundle_check.BundleCheckError:
            self._fail_whole(resource, load, counted=True)
            raise
        for (path, _), splice in zip(found, splices, strict=True):
            holder: Any = entry["resource"]
            for step in path:
                holder = holder[step]
            holder.append(splice.token)
        by_token = {splice.token: splice for splice in splices}
        return entry, [by_token[token] for token in _strings(entry) if token in by_token]

    def _item_model(self, resource: JSON, path: tuple[str | int, ...]) -> Any:
        field = bundle_check.plan(self.entry_model).fields["resource"][1]
        model = bundle_check._resource_model(field, resource)
        for step in path:
            if isinstance(step, str):
                field = bundle_check.plan(model).fields[step][1]
                if field.kind != bundle_check.COMPLEX:
                    raise bundle_check.BundleCheckError("frozen items of no complex type")
                model = bundle_check.complex_model(field)
        return model

    def _fail_whole(self, resource: JSON, load: Callable[[bytes], Any], *, counted: bool,
                    ) -> None:
        """Raise the BundleCheckError of `resource` checked whole (when it has one)."""
        if counted:
            self.entries -= 1
            self.types[str(resource.get("resourceType"))] -= 1
        self.entry(_thawed(resource, load))

    def finish(self) -> None:
        if not self.entries:  # what check() says of a Bundle whose entry list is empty
            exc = bundle_check.BundleCheckError("an empty list")
            exc.steps.append(".entry")
            raise exc

    def counts(self) -> tuple[tuple[str, int], ...]:
        """Resources per type, as manifest.bundle_counts gives them."""
        return tuple(sorted(self.types.items()))


@cache
def _plan(cls: Any) -> tuple[tuple[str, str], ...]:
    """(JSON key, model attribute) in specification order, for one model class."""
    alias = {(f.alias or n): n for n, f in cls.model_fields.items()}
    return tuple((key, alias.get(key, key)) for key in cls.elements_sequence())


def in_spec_order(model: Any, data: JSON) -> JSON:
    """`data` with every object's keys in specification order, read off the validated model
    (a tenth of the cost of model_dump, and the values stay exactly as built): for a model
    validated anyway (convert); bundle_check orders what it checks by itself."""
    out: JSON = {}
    if "resourceType" in data:
        out["resourceType"] = data["resourceType"]
    kind: Any = type(model)
    for key, attr in _plan(kind):
        if key in data:
            out[key] = _ordered(getattr(model, attr), data[key])
        if "_" + key in data:
            out["_" + key] = _ordered(getattr(model, attr + "__ext", None), data["_" + key])
    if len(out) != len(data):
        raise ValueError(f"elements the model does not know: {sorted(set(data) - set(out))}")
    return out


def _ordered(model: Any, value: Any) -> Any:
    if isinstance(value, dict):
        return in_spec_order(model, value)
    if isinstance(value, list):
        return [_ordered(m, v) for m, v in zip(model, value, strict=True)]
    return value


def _thawed(value: Any, load: Callable[[bytes], Any]) -> Any:
    """A copy of `value` with its frozen items loaded."""
    if isinstance(value, dict):
        return {k: _thawed(v, load) for k, v in value.items()}
    if isinstance(value, list):
        return [load(v) if type(v) is bytes else _thawed(v, load) for v in unpacked(value)]
    return value


def _strings(value: Any) -> Iterator[str]:
    """The strings of a JSON value in the order they are written."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _split(value: Any, path: tuple[str | int, ...], load: Callable[[bytes], Any],
           ) -> tuple[Any, list[tuple[Any, Iterator[bytes]]]]:
    """`value` without the frozen items of its lists (a list of frozen items only keeps its
    first, loaded), and (path, frozen items) of each list that had some, in order."""
    found: list[tuple[Any, Iterator[bytes]]] = []
    if isinstance(value, dict):
        out: JSON = {}
        for key, item in value.items():
            out[key], more = _split(item, (*path, key), load)
            found += more
        return out, found
    if isinstance(value, list):
        kept = [v for v in value if not is_frozen(v)]
        runs = [v for v in value if is_frozen(v)]  # bytes, or Packed runs of tokens
        frozen: Iterator[bytes] = unpacked(runs)  # read once, as the entry is written
        left = sum(1 if type(run) is bytes else len(run) for run in runs)
        if left and not kept:
            kept, left = [load(next(frozen))], left - 1
        items = []
        for index, item in enumerate(kept):
            item, more = _split(item, (*path, index), load)
            items.append(item)
            found += more
        if left:
            found.append((path, frozen))
        return items, found
    return value, found


class Splice:
    """The frozen items of one list (named `key`) of a Stream.spliced entry: `token` marks
    their place, items() gives them loaded and checked, one at a time."""

    def __init__(self, stream: Stream, resource: JSON, model: Any, key: str,
                 frozen: Iterator[bytes], load: Callable[[bytes], Any]) -> None:
        self.stream, self.resource, self.model, self.frozen = stream, resource, model, frozen
        self.key, self.load = key, load
        self.token = f"fhir-export-splice-{uuid.uuid4().hex}"

    def items(self) -> Iterator[JSON]:
        for raw in self.frozen:
            try:
                yield bundle_check.check(self.model, self.load(raw))
            except bundle_check.BundleCheckError:
                self.stream._fail_whole(self.resource, self.load, counted=True)
                raise
