#!/usr/bin/env bash
# Build the two Maven projects the tests run (offline afterwards):
#   validator  tests/hapi-validator -> target/hapi-validator-1.jar: the HAPI FHIR instance
#              validator (HL7 validator core), for tests/test_hapi_validator.py
#   server     tests/hapi-server -> target/classes + target/classpath.txt: a HAPI FHIR JPA server
#              (in-memory H2, Jetty 12), for tests/test_hapi_server.py and `make hapi-server`
# Usage: scripts/build_hapi.sh [validator|server]...   (default: both)
# Needs a JDK 17 and Maven; every dependency comes from Maven Central into the repo-local
# .cache/m2, so a clean CI run and a developer run behave the same. A project is rebuilt only
# when its pom.xml or sources are newer than what was built.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

build() {  # name, project folder, the file the build leaves, maven goals...
  local name="$1" project="$2" product="$3"
  shift 3
  if [[ -f "$product" && -z "$(find "$project/pom.xml" "$project/src" -type f -newer "$product" | head -1)" ]]; then
    echo "build_hapi: $name is up to date ($product)" >&2
    return
  fi
  if ! command -v mvn >/dev/null || ! command -v java >/dev/null; then
    echo "build_hapi: Maven or Java missing; the HAPI $name tests will skip (CI fails)" >&2
    return
  fi
  local start
  start=$(date +%s)
  rm -f "$product"
  mvn -q -f "$project/pom.xml" -Dmaven.repo.local="$root/.cache/m2" "$@"
  echo "build_hapi: built the HAPI $name in $(( $(date +%s) - start )) s" >&2
}

# HL7's definition of the derivation-reference extension our output uses everywhere, from the
# FHIR extensions pack (npm hl7.fhir.uv.extensions.r4 / .r5, CC0; only a ballot version is on
# npm), so the validator checks how we use it instead of calling it unknown.
EXT_VERSION="5.3.0-ballot-tc1"
declare -A EXT_SHA256=(
  [r4]=54f70616bbd444ba0259d5fc5a5c978d463971865f23dcef3103081f529ad213
  [r5]=33a55f290663f3f9d61c9dbdeb0be6ef10d0e64b54af539d1d557585c8f9e1c2
)
extensions() {
  local release dest work tgz
  for release in r4 r5; do
    dest="$root/tests/hapi-validator/target/extensions/$release"
    [[ -s "$dest/StructureDefinition-derivation-reference.json" ]] && continue
    if ! command -v npm >/dev/null; then
      echo "build_hapi: npm missing; the validator will not know the extensions pack" >&2
      return
    fi
    work="$(mktemp -d)"
    (cd "$work" && npm pack --silent --ignore-scripts \
      "hl7.fhir.uv.extensions.$release@$EXT_VERSION" >/dev/null)
    tgz="$(ls "$work"/*.tgz)"
    echo "${EXT_SHA256[$release]}  $tgz" | sha256sum --check --quiet
    mkdir -p "$dest"
    tar -xzf "$tgz" -C "$work" package/StructureDefinition-derivation-reference.json
    mv "$work/package/StructureDefinition-derivation-reference.json" "$dest/"
    rm -rf "$work"
    echo "build_hapi: extension definitions ($release) in $dest" >&2
  done
}

for what in "${@:-validator server}"; do
  for one in $what; do
    case "$one" in
      validator)
        p="$root/tests/hapi-validator"
        build validator "$p" "$p/target/hapi-validator-1.jar" package -DskipTests
        extensions ;;
      server)
        p="$root/tests/hapi-server"
        build server "$p" "$p/target/classpath.txt" compile dependency:build-classpath \
          -Dmdep.outputFile="$p/target/classpath.txt" ;;
      *) echo "usage: scripts/build_hapi.sh [validator|server]..." >&2; exit 2 ;;
    esac
  done
done
