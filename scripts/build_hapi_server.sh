#!/usr/bin/env bash
# Build the HAPI FHIR JPA server (in-memory H2, Jetty 12) that tests/test_hapi_server.py starts
# on 127.0.0.1. A small Maven project of ours (tests/hapi-server) on HAPI FHIR 8.4.0's
# hapi-fhir-jpaserver-base; every dependency comes from Maven Central into the repo-local
# .cache/m2. Output: target/classes and target/classpath.txt (run it with
# `java -cp target/classes:$(cat target/classpath.txt) fhirexport.HapiServer R4|R5 [port]`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="$root/tests/hapi-server"
stamp="$project/target/classpath.txt"
newest_source="$(find "$project/pom.xml" "$project/src" -type f -newer "$stamp" 2>/dev/null | head -1 || true)"
if [[ -f "$stamp" && -z "$newest_source" && -f "$project/target/classes/fhirexport/HapiServer.class" ]]; then
  echo "build_hapi_server: $project is up to date" >&2
  exit 0
fi
if ! command -v mvn >/dev/null || ! command -v java >/dev/null; then
  echo "build_hapi_server: Maven or Java missing; the HAPI server tests will skip (CI fails)" >&2
  exit 0
fi
start=$(date +%s)
rm -f "$stamp"
mvn -q -f "$project/pom.xml" -Dmaven.repo.local="$root/.cache/m2" compile \
  dependency:build-classpath -Dmdep.outputFile="$stamp"
echo "build_hapi_server: built $project in $(( $(date +%s) - start )) s" >&2
