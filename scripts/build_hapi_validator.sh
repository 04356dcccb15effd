#!/usr/bin/env bash
# Build the HAPI FHIR instance validator jar used by tests/test_hapi_validator.py (offline
# afterwards). Needs a JDK 17 and Maven; dependencies come from Maven Central into the
# repo-local .cache/m2, so a clean CI run and a developer run behave the same.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="$root/tests/hapi-validator"
jar="$project/target/hapi-validator-1.jar"
if [[ -f "$jar" && "$jar" -nt "$project/pom.xml" && "$jar" -nt "$project/src/main/java/fhirexport/Validate.java" ]]; then
  echo "build_hapi_validator: $jar is up to date" >&2
  exit 0
fi
if ! command -v mvn >/dev/null || ! command -v java >/dev/null; then
  echo "build_hapi_validator: Maven or Java missing; the HAPI validator tests will skip (CI fails)" >&2
  exit 0
fi
start=$(date +%s)
mvn -q -f "$project/pom.xml" -Dmaven.repo.local="$root/.cache/m2" package -DskipTests
echo "build_hapi_validator: built $jar in $(( $(date +%s) - start )) s" >&2
