package fhirexport;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import java.nio.file.Files;
import java.nio.file.Path;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;

/**
 * The HAPI FHIR instance validator (the HL7 validator core), fully offline, over the files
 * named on the command line: {@code java -jar hapi-validator.jar R4|R5 FILE...}. Prints one
 * tab-separated line per message: file, severity, location, message.
 */
public final class Validate {
  private Validate() {}

  public static void main(String[] args) throws Exception {
    FhirContext ctx = "R5".equals(args[0]) ? FhirContext.forR5() : FhirContext.forR4();
    ValidationSupportChain chain = new ValidationSupportChain(
        new DefaultProfileValidationSupport(ctx),
        new CommonCodeSystemsTerminologyService(ctx),
        new InMemoryTerminologyServerValidationSupport(ctx),
        new SnapshotGeneratingValidationSupport(ctx));
    FhirValidator validator = ctx.newValidator().registerValidatorModule(
        new FhirInstanceValidator(chain));
    for (int i = 1; i < args.length; i++) {
      String text = Files.readString(Path.of(args[i]));
      ValidationResult result = validator.validateWithResult(text);
      for (SingleValidationMessage m : result.getMessages()) {
        System.out.println(args[i] + "\t" + m.getSeverity() + "\t" + m.getLocationString()
            + "\t" + m.getMessage().replace('\n', ' ').replace('\t', ' '));
      }
    }
  }
}
