"""The review site: a static, offline HTML page per exported article (its text with every
fact highlighted and linked to the resource it became) and an index of the run. Read back
from the Bundles alone; `site.write_review` is what `fhir-export preview` and
`export --html` call."""
