package fhirexport;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.util.BundleUtil;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseBundle;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.PrePopulatedValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;

/**
 * The HAPI FHIR instance validator (the HL7 validator core), fully offline, over the files
 * named on the command line: {@code java -jar hapi-validator.jar R4|R5 [--definitions DIR] FILE...}. Prints one
 * tab-separated line per message: file, severity, location, message. Questionnaires in the
 * files are loaded first, so QuestionnaireResponses are validated against their forms.
 */
public final class Validate {
  private Validate() {}

  public static void main(String[] argv) throws Exception {
    // --definitions DIR: StructureDefinitions (with snapshots) to know besides the core ones
    List<String> rest = new ArrayList<>(List.of(argv));
    PrePopulatedValidationSupport definitions = null;
    int at = rest.indexOf("--definitions");
    String definitionsDir = null;
    if (at >= 0) {
      definitionsDir = rest.get(at + 1);
      rest.remove(at + 1);
      rest.remove(at);
    }
    String[] args = rest.toArray(new String[0]);
    FhirContext ctx = "R5".equals(args[0]) ? FhirContext.forR5() : FhirContext.forR4();
    if (definitionsDir != null) {
      definitions = new PrePopulatedValidationSupport(ctx);
      try (var files = Files.list(Path.of(definitionsDir))) {
        for (Path file : files.sorted().toList()) {
          definitions.addStructureDefinition(
              ctx.newJsonParser().parseResource(Files.readString(file)));
        }
      }
    }
    ValidationSupportChain chain = new ValidationSupportChain(
        new DefaultProfileValidationSupport(ctx),
        new CommonCodeSystemsTerminologyService(ctx),
        new InMemoryTerminologyServerValidationSupport(ctx),
        new SnapshotGeneratingValidationSupport(ctx));
    // Every Questionnaire in the files (alone or in a Bundle) is known to the validator, so a
    // QuestionnaireResponse among them is checked against its form (linkIds, answer types,
    // enableWhen), not only against the QuestionnaireResponse structure.
    Forms forms = new Forms(ctx);
    IParser parser = ctx.newJsonParser();
    for (int i = 1; i < args.length; i++) {
      IBaseResource resource;
      try {
        resource = parser.parseResource(Files.readString(Path.of(args[i])));
      } catch (RuntimeException notParsed) {
        continue; // the validation below reports what is wrong with it
      }
      List<IBaseResource> found = new ArrayList<>();
      if (resource instanceof IBaseBundle bundle) {
        found.addAll(BundleUtil.toListOfResources(ctx, bundle));
      } else {
        found.add(resource);
      }
      for (IBaseResource r : found) {
        if ("Questionnaire".equals(ctx.getResourceType(r))) {
          forms.add(r);
        }
      }
    }
    chain.addValidationSupport(0, forms);
    if (definitions != null) {
      chain.addValidationSupport(0, definitions);
    }
    FhirValidator validator = ctx.newValidator().registerValidatorModule(
        new FhirInstanceValidator(chain));
    for (int i = 1; i < args.length; i++) {
      String text = Files.readString(Path.of(args[i]));
      ValidationResult result;
      try {
        result = validator.validateWithResult(text);
      } catch (RuntimeException crash) { // the validator gave up on this file: say so, go on
        System.out.println(args[i] + "\tFATAL\t\t" + crash.getClass().getSimpleName() + ": "
            + String.valueOf(crash.getMessage()).replace('\n', ' ').replace('\t', ' '));
        continue;
      }
      for (SingleValidationMessage m : result.getMessages()) {
        System.out.println(args[i] + "\t" + m.getSeverity() + "\t" + m.getLocationString()
            + "\t" + m.getMessage().replace('\n', ' ').replace('\t', ' '));
      }
    }
  }
}
