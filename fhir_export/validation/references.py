"""Step 4: reference integrity inside a Bundle.

* `urn:uuid:`/`urn:oid:` references must name an entry's fullUrl (error), and cannot resolve
  at all outside a Bundle (warning).
* A relative `Type/id` reference resolves when an entry holds that resource (or its fullUrl
  ends in `/Type/id`). When it does not, but the Bundle holds other resources of that type,
  it is reported as a warning: it may exist on the server, but is more likely a mistake.
* An absolute URL that is no entry's fullUrl is external, and not checked.
* `#id` references to contained resources are FHIR's ref-1 (checked with the invariants).
* Entries agree with themselves: a fullUrl ending in `/Type/id` and a `PUT Type/id` or
  `POST Type` request name the entry's resource.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .issues import Issue

_UUID = re.compile(
    r"^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12}$"
)
_OID = re.compile(r"^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$")
_RELATIVE = re.compile(
    r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(/_history/[A-Za-z0-9\-.]{1,64})?$"
)
_ABSOLUTE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:\S+$")


def _tail(url: str) -> tuple[str, str] | None:
    parts = url.rstrip("/").split("/")
    if len(parts) >= 2 and _RELATIVE.match(f"{parts[-2]}/{parts[-1]}"):
        return parts[-2], parts[-1]
    return None


def _entries(bundle: Mapping[str, Any]) -> list[tuple[int, Mapping[str, Any]]]:
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        return []
    return [(i, e) for i, e in enumerate(entries) if isinstance(e, Mapping)]


def _entry_issues(bundle: Mapping[str, Any]) -> list[Issue]:
    issues = []
    for index, entry in _entries(bundle):
        resource = entry.get("resource")
        if not isinstance(resource, Mapping):
            continue
        at = f"Bundle.entry[{index}]"
        own = (resource.get("resourceType"), resource.get("id"))
        full_url = entry.get("fullUrl")
        tail = _tail(full_url) if isinstance(full_url, str) and "://" in full_url else None
        if tail is not None and own[1] is not None and tail != own:
            issues.append(
                Issue(
                    "error",
                    f"{at}.fullUrl",
                    f"fullUrl {full_url} does not name the entry's resource {own[0]}/{own[1]}",
                    "invalid",
                )
            )
        request = entry.get("request")
        if not isinstance(request, Mapping) or not isinstance(request.get("url"), str):
            continue
        url = request["url"].split("?", 1)[0]
        method = request.get("method")
        if method == "PUT" and own[1] is not None and url != f"{own[0]}/{own[1]}":
            issues.append(
                Issue(
                    "error",
                    f"{at}.request.url",
                    f"PUT {url} does not name the entry's resource {own[0]}/{own[1]}",
                    "invalid",
                )
            )
        elif method == "POST" and url != own[0]:
            issues.append(
                Issue(
                    "error",
                    f"{at}.request.url",
                    f"POST {url} does not name the entry's type {own[0]}",
                    "invalid",
                )
            )
    return issues


def check(top: Mapping[str, Any], references: list[tuple[str, str]]) -> list[Issue]:
    """The reference problems of `top` (a Bundle or any resource), given every
    (location, reference) the walk found in it."""
    is_bundle = top.get("resourceType") == "Bundle"
    full_urls: set[str] = set()
    held: set[tuple[str, str]] = set()
    types: set[str] = set()
    for _, entry in _entries(top) if is_bundle else []:
        resource = entry.get("resource")
        if isinstance(entry.get("fullUrl"), str):
            full_urls.add(entry["fullUrl"])
            tail = _tail(entry["fullUrl"])
            if tail:
                held.add(tail)
        if isinstance(resource, Mapping) and isinstance(resource.get("resourceType"), str):
            types.add(resource["resourceType"])
            if isinstance(resource.get("id"), str):
                held.add((resource["resourceType"], resource["id"]))
    issues = _entry_issues(top) if is_bundle else []
    for location, reference in references:
        if reference.startswith("#"):
            continue
        if reference.startswith(("urn:uuid:", "urn:oid:")):
            if not (_UUID.match(reference) or _OID.match(reference)):
                issues.append(
                    Issue(
                        "error",
                        location,
                        f"{reference} is not a valid urn:uuid or urn:oid",
                        "value",
                    )
                )
            elif not is_bundle:
                issues.append(
                    Issue(
                        "warning",
                        location,
                        f"{reference} cannot be resolved outside a Bundle",
                        "not-found",
                    )
                )
            elif reference not in full_urls:
                issues.append(
                    Issue(
                        "error",
                        location,
                        f"{reference} does not resolve: no entry of this Bundle has that fullUrl",
                        "not-found",
                    )
                )
            continue
        relative = _RELATIVE.match(reference)
        if relative:
            target = (relative.group(1), relative.group(2))
            if is_bundle and target not in held and target[0] in types:
                issues.append(
                    Issue(
                        "warning",
                        location,
                        f"{reference} is not in this Bundle, which holds other "
                        f"{target[0]} resources; it must exist on the server",
                        "not-found",
                    )
                )
        elif not _ABSOLUTE.match(reference):
            issues.append(
                Issue(
                    "warning",
                    location,
                    f"'{reference}' is neither a relative "
                    "Type/id, an absolute URL nor a urn:uuid/urn:oid",
                    "value",
                )
            )
    return issues
