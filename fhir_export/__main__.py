from fhir_export.cli import main

main(prog_name="fhir-export")
